"""The FHIR API's views: thin, as every view. Each asks `auth` who calls, reads through
the resource type's gate-filtered queryset, writes the audit event and answers FHIR JSON;
a FhirError anywhere becomes an OperationOutcome."""

from functools import wraps

from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from relais.access import policy
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.interop.fhir import capability, registry
from relais.interop.fhir.auth import caller_for
from relais.interop.fhir.documents import as_resource, searchset
from relais.interop.fhir.outcome import FhirError
from relais.interop.fhir.params import parse_search
from relais.interop.fhir.responses import error_response, fhir_response
from relais.interop.fhir.values import ID

JSON_FORMATS = {"json", "application/json", "application/fhir+json"}


def fhir_view(view):
    """GET only (the API reads), JSON only, and every error as an OperationOutcome. No
    CSRF token: nothing here changes anything, and systems send no cookie."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            _check_request(request)
            return view(request, *args, **kwargs)
        except FhirError as error:
            return error_response(error)

    return csrf_exempt(wrapped)


def _check_request(request) -> None:
    if request.method not in ("GET", "HEAD"):
        raise FhirError(405, "not-supported", _("This server only reads: use GET."),
                        headers={"Allow": "GET"})
    wanted = request.GET.get("_format")
    if wanted and wanted.split(";")[0].strip() not in JSON_FORMATS:
        raise FhirError(406, "not-supported", _("This server answers in JSON only "
                                                "(application/fhir+json)."))


def base_url(request) -> str:
    return request.build_absolute_uri(reverse("fhir:base"))


@fhir_view
def metadata(request):
    return fhir_response(capability.capability_statement(request))


@fhir_view
def smart_configuration(request):
    return fhir_response(capability.smart_configuration(request))


@fhir_view
def search(request, type):
    resource = registry.resource_type(type)
    user = caller_for(request, resource.name, registry.SEARCH).user
    query = parse_search(request, resource)
    rows = resource.visible(user)
    for param, modifier, value in query.filters:
        rows = param.apply(rows, value, modifier)
    total = rows.count()
    page = [] if query.only_count else list(
        rows.order_by(*resource.order)[query.offset:query.offset + query.count])
    _audit_search(user, resource, page)
    documents = [as_resource(resource, row) for row in page]
    return fhir_response(searchset(base_url(request), resource, query, total, documents,
                                   _warnings(query)))


def _warnings(query) -> list[str]:
    if not query.ignored:
        return []
    return [_("Ignored search parameters (not supported): %(names)s.")
            % {"names": ", ".join(query.ignored)}]


def _audit_search(user, resource, page) -> None:
    if resource.search_action:
        policy.record_list_read(user, resource.search_action,
                                [resource.person_of(row) for row in page])


@fhir_view
def read(request, type, id):
    resource = registry.resource_type(type)
    user = caller_for(request, resource.name, registry.READ).user
    row = _load(user, resource, id)
    document = as_resource(resource, row)
    headers = _version_headers(resource, row, document)
    if _unchanged(request, headers["ETag"]):
        return fhir_response(None, status=304, headers=headers)
    return fhir_response(document, headers=headers)


def _version_headers(resource, row, document) -> dict:
    headers = {"ETag": f'W/"{document["meta"]["versionId"]}"'}
    updated = resource.last_updated(row)
    if updated is not None:
        headers["Last-Modified"] = http_date(updated.timestamp())
    return headers


def _unchanged(request, etag: str) -> bool:
    """If-None-Match naming the version the caller holds: 304, nothing to send again."""
    wanted = {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}
    return etag in wanted or etag.removeprefix("W/") in wanted or "*" in wanted


def _load(user, resource, id):
    """One row through the gate, or a 404 that says the same whether it does not exist or
    may not be read (written to the audit log as a refusal, as `policy.object_for` does)."""
    row = resource.find(resource.visible(user), id) if ID.match(id) else None
    if row is None:
        audit.record(audit.Actions.ACCESS_DENIED, actor=user,
                     target_type=resource.target_type, target_id=id[:64],
                     outcome=Outcome.DENIED, detail={"action": "view", "via": "fhir"})
        raise FhirError(404, "not-found", _("%(type)s/%(id)s is not known to this server.")
                        % {"type": resource.name, "id": id[:64]})
    if resource.read_action:
        audit.record_read(resource.read_action, actor=user, target=row,
                          person_id=resource.person_of(row), detail={"for": "fhir"})
    return row


@fhir_view
def unknown(request, type, id=None):
    raise registry.unsupported(type)


@fhir_view
def base(request):
    raise FhirError(400, "not-supported", _("Name a resource type, or read /fhir/metadata."))
