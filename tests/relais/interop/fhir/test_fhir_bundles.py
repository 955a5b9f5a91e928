"""Transaction and batch Bundles (POST /fhir/): a hospital creates a person and admits them
in one transaction, all or nothing, references between entries resolved; a batch answers
each entry on its own; every entry goes through the scopes, the gate and the audit it
meets alone; limits and bad Bundles are OperationOutcomes. Every answer is valid R4."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources import construct_fhir_element

from relais.audit.models import AuditEvent, Outcome
from relais.interop.fhir import bundles
from relais.interop.fhir.identifiers import SSIN
from relais.network import services as network_services
from relais.network.models import Person
from relais.stays.models import Stay
from tests.factories import HospitalFactory
from tests.relais.interop.fhir.conftest import MADELEINE_SSIN
from tests.relais.interop.fhir.test_fhir_patient_writes import JAN_SSIN, patient

pytestmark = pytest.mark.django_db

WRITER = "system/*.rs system/Patient.c system/Encounter.cu"
FHIR = "application/fhir+json"
NEW = "urn:uuid:0b4e8d2c-6c1f-4d7e-9a51-3f1f0a2f7c11"


def encounter(subject, visit="V-2026-200", ward="GER", **more):
    body = {"resourceType": "Encounter", "status": "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": "IMP"},
            "identifier": [{"system": "urn:oid:1.2.3.4", "value": visit}],
            "subject": subject, "period": {"start": "2026-03-02T10:15:00+01:00"},
            "location": [{"location": {"identifier": {"value": ward}}}]}
    return {**body, **more}


def entry(method, url, resource=None, full_url=None, **request):
    found = {"request": {"method": method, "url": url, **request}}
    if resource is not None:
        found["resource"] = resource
    if full_url:
        found["fullUrl"] = full_url
    return found


def bundle(kind, *entries):
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def send(caller, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return caller.post("/fhir/", data, content_type=FHIR, **headers)


def _answered(response, kind):
    assert response.status_code == 200, response.content
    document = response.json()
    construct_fhir_element("Bundle", document)
    assert document["type"] == f"{kind}-response"
    return document["entry"]


def _outcome(response, status, code):
    assert response.status_code == status, response.content
    outcome = response.json()
    construct_fhir_element("OperationOutcome", outcome)
    assert outcome["issue"][0]["code"] == code, outcome
    return outcome["issue"][0]["diagnostics"]


@pytest.fixture
def hospital_api(api, world):
    world.ward.code = "GER"
    world.ward.save()
    return api(world.hospital, allowed=WRITER)


def admission(**encounter_changes):
    """The Encounter first: the server orders the entries by what they refer to."""
    return bundle(
        "transaction",
        entry("POST", "Encounter", encounter({"reference": NEW}, **encounter_changes),
              ifNoneExist="identifier=urn:oid:1.2.3.4|V-2026-200"),
        entry("POST", "Patient", patient(), NEW, ifNoneExist=f"identifier={SSIN}|{JAN_SSIN}"),
        entry("GET", f"Encounter?patient={NEW}"))


# --- transaction --------------------------------------------------------------------------


def test_a_transaction_creates_a_person_and_admits_them(hospital_api, world):
    entries = _answered(send(hospital_api, admission()), "transaction")

    person, stay = Person.objects.get(), Stay.objects.get()
    assert stay.person == person and stay.hospital == world.hospital
    assert [e["response"]["status"] for e in entries] == ["201 Created", "201 Created",
                                                          "200 OK"]
    assert entries[0]["response"]["location"] == f"Encounter/{stay.pk}"
    assert entries[1]["response"]["location"] == f"Patient/{person.pk}"
    assert entries[1]["response"]["etag"] == f'W/"{person.version}"'
    assert entries[1]["response"]["lastModified"].startswith(str(person.updated_at.year))
    assert entries[0]["resource"]["subject"] == {"reference": f"Patient/{person.pk}"}
    assert entries[1]["fullUrl"] == f"http://testserver/fhir/Patient/{person.pk}"
    assert [e["resource"]["id"] for e in entries[2]["resource"]["entry"]] == [str(stay.pk)]
    assert list(AuditEvent.objects.filter(action__in=["person.create", "stay.open"])
                .order_by("pk").values_list("action", flat=True)) == [
        "person.create", "stay.open"]


def test_a_retried_transaction_creates_nothing_twice(hospital_api):
    send(hospital_api, admission())

    entries = _answered(send(hospital_api, admission()), "transaction")

    assert [e["response"]["status"] for e in entries] == ["200 OK", "200 OK", "200 OK"]
    assert (Person.objects.count(), Stay.objects.count()) == (1, 1)


def test_a_failed_entry_undoes_the_whole_transaction(hospital_api):
    events = AuditEvent.objects.count()

    response = send(hospital_api, admission(location=[{"location": {"display": "Nowhere"}}]))

    assert _outcome(response, 422, "business-rule") == (
        "Entry 0 (POST Encounter): “Nowhere” is not a ward of this hospital in Relais.")
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0]"]
    assert (Person.objects.count(), Stay.objects.count()) == (0, 0)
    assert AuditEvent.objects.count() == events  # the person.create was undone too


def test_a_refusal_inside_an_undone_transaction_stays_in_the_audit_log(hospital_api,
                                                                      madeleine):
    """She is not the hospital's to read: the read fails the transaction, the person
    created before it is undone, the refusal is kept."""
    response = send(hospital_api, bundle(
        "transaction", entry("POST", "Patient", patient()),
        entry("GET", f"Patient/{madeleine.pk}")))

    assert _outcome(response, 404, "not-found") == (
        f"Entry 1 (GET Patient/{madeleine.pk}): Patient/{madeleine.pk} is not known to "
        "this server.")
    assert Person.objects.filter(niss=JAN_SSIN).count() == 0
    refused = AuditEvent.objects.get(outcome=Outcome.DENIED)
    assert (refused.actor, refused.target_id, refused.detail) == (
        hospital_api.system.account, str(madeleine.pk), {"action": "view", "via": "fhir"})


def test_a_failed_entry_quoting_other_whitespace_is_still_valid_fhir(hospital_api):
    """The outcome quotes the entry's URL: a next-line or a no-break space in it is
    served as a space (FHIR's string allows no other whitespace; found by the contract
    run)."""
    response = send(hospital_api, bundle("transaction", entry("GET", "Ø\x85\xa0x\x06")))

    text = response.json()["issue"][0]["diagnostics"]
    assert response.status_code == 404
    assert text.startswith("Entry 0 (GET Ø  x\x06)")
    assert re.fullmatch(r"[ \r\n\t\S]+", text)


def test_a_person_the_hospital_may_not_read_is_admitted_by_her_ssin(hospital_api, madeleine):
    """As the ADT feed: the SSIN names her; her record is not shown to the hospital."""
    body = bundle(
        "transaction",
        entry("POST", "Patient", patient(MADELEINE_SSIN, gender="female",
                                         birthDate="1941-03-02"), NEW),
        entry("POST", "Encounter", encounter({"reference": NEW})))

    entries = _answered(send(hospital_api, body), "transaction")

    assert entries[0]["response"]["status"] == "200 OK"
    assert "location" not in entries[0]["response"] and "resource" not in entries[0]
    assert entries[0]["response"]["outcome"]["issue"][0]["severity"] == "information"
    assert entries[1]["response"]["status"] == "201 Created"
    assert Stay.objects.get().person == madeleine
    assert Person.objects.count() == 1


def by_ssin(number):
    return {"reference": f"Patient?identifier={SSIN}|{number}"}


def test_a_conditional_reference_names_the_one_patient_found(hospital_api):
    _answered(send(hospital_api, bundle("transaction", entry("POST", "Patient", patient()))),
              "transaction")
    jan = Person.objects.get(niss=JAN_SSIN)

    entries = _answered(send(hospital_api, bundle(
        "transaction", entry("POST", "Encounter", encounter(by_ssin(JAN_SSIN))))),
        "transaction")

    assert entries[0]["response"]["status"] == "201 Created"
    assert entries[0]["resource"]["subject"] == {"reference": f"Patient/{jan.pk}"}
    assert Stay.objects.get().person == jan
    assert AuditEvent.objects.filter(action="person.search",
                                     actor=hospital_api.system.account).exists()


def test_a_conditional_reference_in_a_single_create_and_in_a_batch(hospital_api):
    _answered(send(hospital_api, bundle("transaction", entry("POST", "Patient", patient()))),
              "transaction")
    jan = Person.objects.get(niss=JAN_SSIN)

    alone = hospital_api.post("/fhir/Encounter", json.dumps(encounter(
        by_ssin(JAN_SSIN), status="finished", period={
            "start": "2026-03-02T10:15:00+01:00", "end": "2026-03-05T11:00:00+01:00"})),
        content_type=FHIR)
    batch = _answered(send(hospital_api, bundle("batch", entry(
        "POST", "Encounter", encounter(by_ssin(JAN_SSIN), visit="V-2026-201")))), "batch")
    several = hospital_api.post("/fhir/Encounter", json.dumps(encounter(
        {"reference": "Patient?family=nobody-at-all"}, visit="V-2026-202")),
        content_type=FHIR)

    assert alone.status_code == 201, alone.content
    assert alone.json()["subject"] == {"reference": f"Patient/{jan.pk}"}
    assert batch[0]["response"]["status"] == "201 Created"
    assert "matches no resource" in _outcome(several, 412, "not-found")
    assert Stay.objects.filter(person=jan).count() == 2


def test_a_conditional_reference_to_someone_not_shown_admits_her_by_her_ssin(
        hospital_api, madeleine):
    """The hospital may not read her: the search finds nobody, and the SSIN names her
    as it does in a create (her record stays unshown)."""
    entries = _answered(send(hospital_api, bundle(
        "transaction", entry("POST", "Encounter", encounter(by_ssin(MADELEINE_SSIN))))),
        "transaction")

    assert entries[0]["response"]["status"] == "201 Created"
    assert Stay.objects.get().person == madeleine


def test_a_conditional_reference_matching_several_fails_the_transaction(
        hospital_api, world, liaison_nurse):
    for number in range(2):
        network_services.create_person({"first_name": f"Twin{number}", "last_name": "Dupont"},
                                       actor=liaison_nurse, organisation=world.hospital)
    body = bundle("transaction", entry("POST", "Patient", patient()),
                  entry("POST", "Encounter", encounter({"reference": "Patient?family=dupont"})))

    response = send(hospital_api, body)

    assert "matches several" in _outcome(response, 412, "multiple-matches")
    assert not Person.objects.filter(niss=JAN_SSIN).exists()
    assert not Stay.objects.exists()


@pytest.mark.parametrize("reference", ["Colour?name=x", "Patient?birthdate=yesterday"])
def test_a_conditional_reference_that_is_no_search_is_a_400(reference, hospital_api):
    response = send(hospital_api, bundle(
        "transaction", entry("POST", "Encounter", encounter({"reference": reference}))))

    assert "conditional reference" in _outcome(response, 400, "invalid")
    assert not Stay.objects.exists()


def test_a_token_short_of_a_scope_fails_the_transaction(api, world):
    caller = api(world.hospital, allowed="system/*.rs system/Encounter.cu")

    response = send(caller, admission())

    assert "scopes do not allow" in _outcome(response, 403, "forbidden")
    assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    assert (Person.objects.count(), Stay.objects.count()) == (0, 0)
    assert AuditEvent.objects.get(outcome=Outcome.DENIED).detail == {
        "action": "create", "via": "fhir", "reason": "scope"}


@pytest.mark.parametrize("body, status, code, text", [
    (bundle("transaction", entry("POST", "Encounter",
                                 encounter({"reference": "urn:uuid:nobody"}))), 400,
     "not-found", "Entry 0 (POST Encounter): “urn:uuid:nobody” names no resource created by "
                  "an entry of this transaction."),
    (bundle("transaction",
            entry("POST", "Patient", patient(link=[{"other": {"reference": "urn:b"}}]), "urn:a"),
            entry("POST", "Patient", patient(link=[{"other": {"reference": "urn:a"}}]), "urn:b")),
     400, "invalid", "Entries of this transaction refer to each other in a circle."),
    (bundle("transaction", entry("PUT", "Encounter/1", encounter({"reference": "x"})),
            entry("PUT", "Encounter/1", encounter({"reference": "x"}))), 400, "invalid",
     "Two entries of this transaction update Encounter/1."),
    (bundle("transaction", {"resource": patient()}), 400, "required",
     "Entry 0 (?): “request.method, request.url” is required."),
    (bundle("transaction", entry("DELETE", "Patient/1")), 405, "not-supported",
     "Entry 0 (DELETE Patient/1): DELETE is not served in a Bundle here: use GET, POST or "
     "PUT."),
    (bundle("transaction", entry("GET", "metadata")), 400, "not-supported",
     "Entry 0 (GET metadata): “metadata” is not an interaction a Bundle's entry may ask "
     "for here."),
])
def test_a_transaction_that_cannot_be_made_changes_nothing(body, status, code, text,
                                                           hospital_api):
    response = send(hospital_api, body)

    assert _outcome(response, status, code) == text
    assert (Person.objects.count(), Stay.objects.count()) == (0, 0)


# --- batch -------------------------------------------------------------------------------


def test_a_batch_answers_each_entry_on_its_own(hospital_api, madeleine):
    body = bundle(
        "batch",
        entry("POST", "Patient", patient()),
        entry("POST", "Patient", patient("85073003329")),
        entry("GET", f"Patient?identifier={SSIN}|{JAN_SSIN}"),
        entry("GET", f"Patient/{madeleine.pk}"),
        entry("DELETE", "Patient/1"),
        {"resource": patient()})

    entries = _answered(send(hospital_api, body), "batch")

    assert [e["response"]["status"] for e in entries] == [
        "201 Created", "400 Bad Request", "200 OK", "404 Not Found",
        "405 Method Not Allowed", "400 Bad Request"]
    person = Person.objects.get(niss=JAN_SSIN)  # the first entry stays, whatever followed
    assert entries[0]["response"]["location"] == f"Patient/{person.pk}"
    assert entries[1]["response"]["outcome"]["issue"][0]["diagnostics"] == (
        "“85073003329” is not a valid national register or BIS number (SSIN).")
    assert [e["resource"]["id"] for e in entries[2]["resource"]["entry"]] == [str(person.pk)]
    assert entries[3]["response"]["outcome"]["issue"][0]["code"] == "not-found"


def test_batch_reads_are_audited_as_alone(api, world, madeleine, stay):
    caller = api(world.coordination_centre)

    entries = _answered(send(caller, bundle(
        "batch", entry("GET", f"Patient/{madeleine.pk}"),
        entry("GET", f"Encounter?patient=Patient/{madeleine.pk}"))), "batch")

    assert [e["response"]["status"] for e in entries] == ["200 OK", "200 OK"]
    read = AuditEvent.objects.get(action="person.read")
    assert (read.actor, read.person_id) == (caller.system.account, madeleine.pk)
    assert AuditEvent.objects.get(action="stay.list").detail["persons"] == [madeleine.pk]


@pytest.mark.parametrize("case", ["another hospital", "excluded"])
def test_a_batch_gives_a_client_that_may_not_read_her_nothing(case, api, world, madeleine,
                                                              excluded_organisation, stay):
    organisation = HospitalFactory() if case == "another hospital" else excluded_organisation
    caller = api(organisation, allowed=WRITER)

    entries = _answered(send(caller, bundle(
        "batch", entry("GET", f"Patient/{madeleine.pk}"),
        entry("GET", f"Encounter/{stay.pk}"),
        entry("PUT", f"Encounter/{stay.pk}", {**encounter(
            {"identifier": {"system": SSIN, "value": MADELEINE_SSIN}}, "V-2026-001",
            status="cancelled"), "id": str(stay.pk)}),
        entry("GET", f"Patient?identifier={SSIN}|{MADELEINE_SSIN}"))), "batch")

    assert [e["response"]["status"] for e in entries] == [
        "404 Not Found", "404 Not Found", "404 Not Found", "200 OK"]
    assert entries[3]["resource"]["total"] == 0
    assert Stay.objects.get().cancelled_at is None
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() == 3


def test_a_session_runs_a_batch_of_reads_but_writes_nothing(client, liaison_nurse):
    client.force_login(liaison_nurse)

    entries = _answered(send(client, bundle(
        "batch", entry("GET", "Patient?_summary=count"), entry("POST", "Patient", patient()))),
        "batch")

    assert [e["response"]["status"] for e in entries] == ["200 OK", "403 Forbidden"]
    assert Person.objects.count() == 0


def test_the_token_is_checked_once_for_the_bundle(api, world, madeleine):
    caller = api(world.coordination_centre)
    reads = [entry("GET", f"Patient/{madeleine.pk}")] * 5

    with CaptureQueriesContext(connection) as queries:
        _answered(send(caller, bundle("batch", *reads)), "batch")

    tokens = [q for q in queries.captured_queries if "oauth2_provider_accesstoken" in q["sql"]]
    assert len(tokens) == 1


def test_return_minimal_leaves_the_resources_out(hospital_api):
    entries = _answered(send(hospital_api, admission(), HTTP_PREFER="return=minimal"),
                        "transaction")

    assert [sorted(e) for e in entries] == [["response"], ["response"],
                                            ["resource", "response"]]  # a search is one
    assert entries[1]["response"]["location"] == f"Patient/{Person.objects.get().pk}"


# --- the Bundle itself ---------------------------------------------------------------------


@pytest.mark.parametrize("body, status, code", [
    ("{not json", 400, "structure"),
    (json.dumps(patient()), 400, "invalid"),
    (json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}), 400,
     "not-supported"),
    (json.dumps({"resourceType": "Bundle", "type": "batch", "entry": {}}), 400, "structure"),
    (json.dumps(bundle("batch", *[entry("GET", "Patient")] * (bundles.MAX_ENTRIES + 1))),
     413, "too-long"),
])
def test_a_body_that_is_no_bundle_this_server_takes_is_an_outcome(body, status, code,
                                                                  hospital_api):
    _outcome(send(hospital_api, body), status, code)
    assert Person.objects.count() == 0


def test_an_empty_transaction_answers_an_empty_response(hospital_api):
    response = send(hospital_api, {"resourceType": "Bundle", "type": "transaction"})

    assert response.status_code == 200
    assert response.json() == {"resourceType": "Bundle", "type": "transaction-response"}


def test_a_bundle_needs_credentials(client):
    assert send(client, bundle("batch")).status_code == 401


def test_the_capability_statement_says_transaction_and_batch(client):
    statement = client.get("/fhir/metadata").json()

    assert [i["code"] for i in statement["rest"][0]["interaction"]] == ["transaction",
                                                                        "batch"]
