"""The CapabilityStatement at /fhir/metadata, written from the registry: the types, their
interactions, search parameters and profiles are those the server serves."""

from django.urls import reverse
from django.utils import timezone

from relais.interop.fhir import bundles, includes, registry, scopes

IMPLEMENTATION_GUIDES = (
    "https://www.ehealth.fgov.be/standards/fhir/core/ImplementationGuide/hl7.fhir.be.core",
    "https://www.ehealth.fgov.be/standards/fhir/patient-care/ImplementationGuide/"
    "hl7.fhir.be.patient-care",
)
SECURITY = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
OPERATIONS = "http://hl7.org/fhir/OperationDefinition/"


def capability_statement(request) -> dict:
    base = request.build_absolute_uri(reverse("fhir:base"))
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.localdate().isoformat(),
        "publisher": "Relais",
        "kind": "instance",
        "software": {"name": "Relais"},
        "implementation": {"description": "Relais FHIR R4 API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "implementationGuide": list(IMPLEMENTATION_GUIDES),
        "rest": [{"mode": "server", "documentation": _documentation(request),
                  "security": _security(request),
                  "resource": [_resource(t) for t in registry.TYPES.values()],
                  "interaction": _system_interactions()}],
    }


def _documentation(request) -> str:
    openapi = request.build_absolute_uri(reverse("fhir:openapi"))
    return (f"The same interactions as an OpenAPI 3.1 document, written from the same "
            f"registry: {openapi}")


def _system_interactions() -> list[dict]:
    """POST [base]: a transaction or a batch of the interactions the types serve."""
    return [{"code": "transaction", "documentation": "All entries in one database "
             f"transaction, all or nothing; at most {bundles.MAX_ENTRIES} entries; urn:uuid "
             "references between entries resolved."},
            {"code": "batch", "documentation": "Each entry on its own, with its own status; "
             f"at most {bundles.MAX_ENTRIES} entries."}]


def _security(request) -> dict:
    token = request.build_absolute_uri(reverse("fhir:token"))
    return {
        "cors": False,
        "service": [{"coding": [{"system": SECURITY, "code": "SMART-on-FHIR"}]}],
        "extension": [{"url": OAUTH_URIS,
                       "extension": [{"url": "token", "valueUri": token}]}],
        "description": "OAuth2 client credentials (a system acting for one organisation, "
                       "SMART v2 system scopes), or a signed-in Relais session.",
    }


def _resource(resource: registry.ResourceType) -> dict:
    served = {
        "type": resource.name,
        "profile": resource.profile,
        "documentation": resource.documentation,
        "interaction": [{"code": code} for code in resource.served],
        # If-Match is honoured on update (412 when stale): "versioned-update".
        "versioning": "versioned-update" if resource.update else "versioned",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": bool(resource.create),
        "conditionalRead": "not-match",  # If-None-Match: 304
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": includes.include_names(resource),
        "searchRevInclude": includes.revinclude_names(resource),
        "searchParam": [{"name": p.name, "type": p.type, "documentation": p.documentation}
                        for p in resource.search_params],
    }
    if resource.operations:
        served["operation"] = [
            {"name": name, "definition": f"{OPERATIONS}{resource.name}-{name}"}
            for name in resource.operations]
    return {name: value for name, value in served.items() if value != []}


def smart_configuration(request) -> dict:
    """/.well-known/smart-configuration (SMART App Launch 2): what a backend service needs."""
    return {
        "token_endpoint": request.build_absolute_uri(reverse("fhir:token")),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": scopes.every_scope(),
        "capabilities": ["client-confidential-symmetric", "permission-v1", "permission-v2"],
    }

