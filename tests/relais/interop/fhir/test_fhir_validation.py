"""Everything the API emits is valid FHIR R4 (4.0.1) and keeps the be-core invariants.

The validator: the R4 models of `fhir.resources` 6.1 (pydantic 1), the last release
whose models are R4 rather than R4B or R5: each resource, Bundle, CapabilityStatement
and OperationOutcome is parsed by its model, which refuses unknown elements, wrong
types, missing required elements and malformed primitives (dates, ids, uris). It does
not check code bindings: `_codes_bound` does, for the codes Relais writes, and
`_be_core_invariants` the identifier invariants of be-core (be-inv-SSIN, -CBE, -NIHDI).
"""

import re
from datetime import date, time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from fhir.resources import construct_fhir_element

from relais.access.models import ConsentScope
from relais.booklet import services as booklet
from relais.directory.services import create_service
from relais.interop.fhir import registry, resources
from relais.network import services
from relais.network.models import Person
from tests.files import PDF

pytestmark = pytest.mark.django_db

resources.register_all()

BOUND = {  # element name -> the codes its required binding allows (R4)
    "gender": {"male", "female", "other", "unknown"},
    "use": {"usual", "official", "temp", "secondary", "old", "nickname", "anonymous",
            "maiden", "home", "work", "billing", "mobile"},
    "mode": {"match", "include", "outcome"},
    "severity": {"fatal", "error", "warning", "information"},
    "priority": {"routine", "urgent", "asap", "stat"},
    "action": {"C", "R", "U", "D", "E"},  # AuditEvent's
    "outcome": {"0", "4", "8", "12"},
}
REQUEST_STATUS = {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error",
                  "unknown"}
STATUS = {  # each type's status binding (required)
    "Consent": {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"},
    "Flag": {"active", "inactive", "entered-in-error"},
    "CareTeam": {"proposed", "active", "suspended", "inactive", "entered-in-error"},
    "Encounter": {"planned", "arrived", "triaged", "in-progress", "onleave", "finished",
                  "cancelled", "entered-in-error", "unknown"},
    "Communication": {"preparation", "in-progress", "not-done", "on-hold", "stopped",
                      "completed", "entered-in-error", "unknown"},
    "Location": {"active", "suspended", "inactive"},
    "CarePlan": REQUEST_STATUS,
    "ServiceRequest": REQUEST_STATUS,
    "Task": {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
             "in-progress", "on-hold", "failed", "completed", "entered-in-error"},
    "Questionnaire": {"draft", "active", "retired", "unknown"},
    "QuestionnaireResponse": {"in-progress", "completed", "amended", "entered-in-error",
                              "stopped"},
}
INVARIANTS = {  # be-core: identifier values, digits only
    "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin": r"\d{11}",
    "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/cbe": r"[01]\d{9}",
    "https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/nihdi-professional":
        r"\d{11}",
}


@pytest.fixture
def everything(world, madeleine, gp, coordinator, stay, referral, followup, social_screening):
    """Every type has something to show: a KBO number, a RIZIV number, a revoked consent,
    a safeguarding concern whose circle holds the coordination centre, a referral, a
    follow-up, a screening."""
    world.coordination_centre.kbo_number = "0403019261"
    world.coordination_centre.save()
    gp.riziv_number = "10829059000"
    gp.save()
    hospitals = services.record_consent(madeleine, scope=ConsentScope.HOSPITALS,
                                        given_by="Madeleine Lambert",
                                        given_on=date(2026, 1, 5), actor=coordinator)
    services.revoke_consent(hospitals, actor=coordinator)
    Person.objects.filter(pk=madeleine.pk).update(safeguarding=True)
    madeleine.members.filter(organisation=world.coordination_centre).update(
        in_safeguarding_circle=True)
    _booklet(madeleine, coordinator)
    _directory(world, coordinator)
    return madeleine


def _booklet(madeleine, coordinator):
    """An alert with a file, and a question answered."""
    booklet.write(madeleine, author=coordinator, kind="alert", body="Fell last night.",
                  attachment=SimpleUploadedFile("x-ray.pdf", PDF))
    question = booklet.write(madeleine, author=coordinator, kind="question", body="Keys?")
    booklet.write(madeleine, author=coordinator, kind="answer", body="With the neighbour.",
                  reply_to=question)


def _directory(world, coordinator):
    """A listing with every field a HealthcareService shows, at its organisation's place."""
    create_service(world.home_nursing, {
        "category": "home_nursing", "name_fr": "Soins à domicile", "name_nl": "Thuiszorg",
        "description_fr": "Toilette.", "how_to_refer_fr": "Appeler.", "eligibility": "18+",
        "schedule": "Aussi le dimanche.", "languages": ["fr", "nl"],
        "contact_phone": "+32 2 500 00 00", "contact_email": "soins@example.org",
        "serves_all_brussels": True, "hours": [(0, time(8), time(17))]}, actor=coordinator)


@pytest.mark.parametrize("type_name", sorted(registry.TYPES))
def test_every_resource_of_every_type_is_valid_r4(type_name, api, world, everything):
    bundle = api(world.coordination_centre).get(f"/fhir/{type_name}").json()

    construct_fhir_element("Bundle", bundle)
    found = [entry["resource"] for entry in bundle["entry"]]
    assert found, f"nothing to validate for {type_name}"
    for resource in found:
        assert resource["resourceType"] == type_name
        construct_fhir_element(type_name, resource)
        _codes_bound(resource)
        assert "status" not in resource or resource["status"] in STATUS[type_name]
        _be_core_invariants(resource)
        assert resource["meta"]["profile"] == [registry.TYPES[type_name].profile]


def test_identifiers_are_in_the_belgian_naming_systems(api, world, everything, gp):
    caller = api(world.coordination_centre)

    patient = caller.get(f"/fhir/Patient/{everything.pk}").json()
    organisation = caller.get(f"/fhir/Organization/{world.coordination_centre.pk}").json()
    practitioner = caller.get(f"/fhir/Practitioner/{gp.pk}").json()

    assert [(i["system"], i["value"]) for i in patient["identifier"]] == [
        ("https://www.ehealth.fgov.be/standards/fhir/core/NamingSystem/ssin", "41030200244")]
    assert organisation["identifier"][0]["value"] == "0403019261"
    assert practitioner["identifier"][0]["value"] == "10829059000"


def test_the_capability_statement_and_errors_are_valid_r4(client, api, world):
    construct_fhir_element("CapabilityStatement", client.get("/fhir/metadata").json())
    construct_fhir_element("OperationOutcome", client.get("/fhir/Patient/1").json())
    warning = api(world.coordination_centre).get("/fhir/Patient", {"_sort": "name"}).json()
    construct_fhir_element("Bundle", warning)
    _codes_bound(warning)


def _codes_bound(element, name=""):
    if isinstance(element, dict):
        for key, value in element.items():
            _codes_bound(value, key)
    elif isinstance(element, list):
        for value in element:
            _codes_bound(value, name)
    elif name in BOUND:
        assert element in BOUND[name], f"{name}: {element!r}"


def _be_core_invariants(resource):
    for identifier in resource.get("identifier", []):
        pattern = INVARIANTS.get(identifier.get("system"))
        if pattern:
            assert re.fullmatch(pattern, identifier["value"]), identifier
