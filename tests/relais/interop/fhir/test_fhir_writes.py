"""Encounter create and update: a hospital without HL7 v2 admits, moves, discharges and
cancels through the stays' services, with the ADT feed's effects and idempotence; only
a client acting for that hospital writes its encounters; bad input is an
OperationOutcome and changes nothing. Everything answered is valid R4 (fhir.resources)."""

import json
from datetime import datetime

import pytest
from django.test import Client
from fhir.resources import construct_fhir_element

from relais.audit.models import AuditEvent, Outcome
from relais.interop.fhir.identifiers import SSIN, SSIN_OLD
from relais.network import services
from relais.network.models import MemberKind, Role
from relais.notifications.models import Notification
from relais.stays.models import Destination, PlanItem, Stay, StaySource
from tests.factories import HospitalFactory, WardFactory
from tests.relais.interop.fhir.conftest import MADELEINE_SSIN

pytestmark = pytest.mark.django_db

WRITER = "system/*.rs system/Encounter.cu"
FHIR = "application/fhir+json"


@pytest.fixture
def hospital_api(api, world):
    """A client of the hospital, allowed to write encounters; its ward has a code."""
    world.ward.code = "GER"
    world.ward.save()
    WardFactory(organisation=world.hospital, name="Cardiology", code="CAR")
    return api(world.hospital, allowed=WRITER)


def encounter(status="in-progress", *, visit="V-2026-042", start="2026-03-02T10:15:00+01:00",
              end=None, ward="GER", **more):
    body = {"resourceType": "Encounter", "status": status,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": "IMP"},
            "identifier": [{"system": "urn:oid:1.2.3.4", "value": visit}],
            "subject": {"identifier": {"system": SSIN, "value": MADELEINE_SSIN}},
            "period": {"start": start, **({"end": end} if end else {})}}
    if ward:
        body["location"] = [{"location": {"identifier": {"value": ward}}}]
    return {**body, **more}


def post(caller, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return caller.post("/fhir/Encounter", data, content_type=FHIR, **headers)


def put(caller, pk, body, **headers):
    return caller.put(f"/fhir/Encounter/{pk}", json.dumps({**body, "id": str(pk)}),
                      content_type=FHIR, **headers)


def stay_events():
    return list(AuditEvent.objects.filter(action__startswith="stay.").order_by("pk")
                .values_list("action", flat=True))


def _outcome(response, status, code):
    assert response.status_code == status, response.content
    outcome = response.json()
    construct_fhir_element("OperationOutcome", outcome)
    assert outcome["issue"][0]["code"] == code, outcome
    return outcome["issue"][0]["diagnostics"]


# --- create ------------------------------------------------------------------------------


def test_a_hospital_admits_by_ssin_as_the_feed_would(hospital_api, world, madeleine, gp):
    response = post(hospital_api, encounter(priority={"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority", "code": "EM"}]}))

    assert response.status_code == 201, response.content
    stay = Stay.objects.get()
    assert (stay.person, stay.hospital, stay.ward, stay.visit_number, stay.source,
            stay.admission_type) == (madeleine, world.hospital, world.ward, "V-2026-042",
                                     StaySource.FHIR, "emergency")
    assert stay.admitted_at == datetime.fromisoformat("2026-03-02T10:15:00+01:00")
    assert response["Location"] == f"http://testserver/fhir/Encounter/{stay.pk}"
    document = response.json()
    construct_fhir_element("Encounter", document)
    assert response["ETag"] == f'W/"{document["meta"]["versionId"]}"'
    assert (document["status"], document["subject"]["reference"]) == (
        "in-progress", f"Patient/{madeleine.pk}")
    assert document["location"][0]["location"] == {"display": "Geriatrics",
                                                   "identifier": {"value": "GER"}}
    assert PlanItem.objects.filter(stay=stay).exists()  # the checklist, as at any admission
    assert Notification.objects.filter(recipient=gp, kind="stay.admitted").count() == 1
    opened = AuditEvent.objects.get(action="stay.open")
    assert (opened.actor, opened.organisation, opened.person_id, opened.detail) == (
        hospital_api.system.account, world.hospital, madeleine.pk, {"source": "fhir"})


def test_a_retried_conditional_create_creates_nothing_twice(hospital_api, madeleine, gp):
    condition = {"HTTP_IF_NONE_EXIST": "identifier=urn:oid:1.2.3.4|V-2026-042"}

    first = post(hospital_api, encounter(), **condition)
    again = post(hospital_api, encounter(ward="CAR"), **condition)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Stay.objects.count() == 1
    assert Stay.objects.get().ward.code == "GER"  # the match is answered, not changed
    assert stay_events() == ["stay.open"]
    assert Notification.objects.filter(recipient=gp, kind="stay.admitted").count() == 1


def test_a_plain_post_of_a_known_identifier_is_a_conflict(hospital_api, madeleine):
    post(hospital_api, encounter())

    response = post(hospital_api, encounter())

    assert "already has an encounter with the identifier" in _outcome(response, 409,
                                                                      "duplicate")
    assert Stay.objects.count() == 1


def test_an_admission_while_another_stay_is_open_is_a_conflict(hospital_api, madeleine):
    post(hospital_api, encounter())

    response = post(hospital_api, encounter(visit="V-2026-043"))

    assert "already has an open stay" in _outcome(response, 409, "conflict")
    assert Stay.objects.count() == 1


def test_an_encounter_created_finished_is_a_discharged_stay(hospital_api, madeleine, gp):
    response = post(hospital_api, encounter(
        "finished", end="2026-03-09T11:00:00+01:00",
        hospitalization={"dischargeDisposition": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/discharge-disposition",
            "code": "long"}]}}))

    assert response.status_code == 201, response.content
    stay = Stay.objects.get()
    assert stay.discharged_at == datetime.fromisoformat("2026-03-09T11:00:00+01:00")
    assert stay.destination == Destination.NURSING_HOME
    assert stay_events() == ["stay.open", "stay.discharge"]
    assert Notification.objects.filter(recipient=gp, kind="stay.discharged").count() == 1
    construct_fhir_element("Encounter", response.json())


def test_a_person_by_reference_must_be_one_the_client_reads(hospital_api, api, world,
                                                           madeleine):
    by_reference = encounter(subject={"reference": f"Patient/{madeleine.pk}"})

    refused = post(hospital_api, by_reference)  # the hospital does not read her (yet)

    assert _outcome(refused, 422, "business-rule") == (
        f"Patient/{madeleine.pk} is not known to this server.")
    assert Stay.objects.count() == 0


# --- update ------------------------------------------------------------------------------


@pytest.fixture
def admitted(hospital_api, madeleine):
    response = post(hospital_api, encounter())
    assert response.status_code == 201, response.content
    return response.json()


def test_a_stay_moves_is_discharged_and_the_same_put_again_changes_nothing(
        hospital_api, admitted, gp):
    moved = put(hospital_api, admitted["id"], encounter(ward="CAR"),
                HTTP_IF_MATCH=f'W/"{admitted["meta"]["versionId"]}"')
    assert moved.status_code == 200, moved.content
    assert Stay.objects.get().ward.code == "CAR"

    finished = encounter("finished", ward="CAR", end="2026-03-09T11:00:00+01:00")
    discharged = put(hospital_api, admitted["id"], finished)
    assert discharged.status_code == 200, discharged.content
    again = put(hospital_api, admitted["id"], finished)

    assert again.status_code == 200
    assert again["ETag"] == discharged["ETag"] != moved["ETag"]
    assert stay_events() == ["stay.open", "stay.transfer", "stay.discharge"]
    assert Notification.objects.filter(recipient=gp, kind="stay.discharged").count() == 1
    construct_fhir_element("Encounter", again.json())
    assert again.json()["status"] == "finished"


def test_in_progress_after_finished_cancels_the_discharge(hospital_api, admitted):
    put(hospital_api, admitted["id"], encounter("finished", end="2026-03-09T11:00:00+01:00"))

    reopened = put(hospital_api, admitted["id"], encounter())

    assert reopened.status_code == 200, reopened.content
    assert Stay.objects.get().discharged_at is None
    assert stay_events()[-1] == "stay.cancel_discharge"


def test_a_cancelled_encounter_does_not_change_any_more(hospital_api, admitted):
    cancelled = put(hospital_api, admitted["id"], encounter("cancelled"))
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    events = stay_events()

    response = put(hospital_api, admitted["id"], encounter())

    assert "was cancelled" in _outcome(response, 422, "business-rule")
    assert Stay.objects.get().cancelled_at is not None
    assert stay_events() == events == ["stay.open", "stay.cancel"]


def test_a_discharge_with_open_blocking_items_is_recorded_as_a_fact(hospital_api, admitted):
    stay = Stay.objects.get()
    stay.plan_items.update(blocking=True, status="open")

    response = put(hospital_api, admitted["id"], encounter("finished",
                                                           end="2026-03-09T11:00:00+01:00"))

    assert response.status_code == 200, response.content  # as the feed's A03
    assert Stay.objects.get().discharged_at is not None


def test_a_put_without_location_leaves_the_ward_as_it_is(hospital_api, admitted):
    """FHIR's update replaces the resource, but the ward is the hospital's to say, when it
    changes (as the feed's PV1-3): an Encounter sent without `location` keeps it."""
    finished = encounter("finished", ward=None, end="2026-03-09T11:00:00+01:00")

    kept = put(hospital_api, admitted["id"], encounter(ward=None))
    discharged = put(hospital_api, admitted["id"], finished)

    assert (kept.status_code, discharged.status_code) == (200, 200)
    assert kept["ETag"] == f'W/"{admitted["meta"]["versionId"]}"'  # nothing changed
    assert Stay.objects.get().ward.code == "GER"
    assert stay_events() == ["stay.open", "stay.discharge"]
    assert discharged.json()["location"][0]["location"]["identifier"] == {"value": "GER"}


def test_a_completed_location_and_no_active_one_clear_the_ward(hospital_api, admitted):
    response = put(hospital_api, admitted["id"], encounter(ward=None, location=[
        {"location": {"identifier": {"value": "GER"}}, "status": "completed"}]))

    assert response.status_code == 200, response.content
    assert Stay.objects.get().ward is None
    assert "location" not in response.json()
    assert stay_events() == ["stay.open", "stay.transfer"]


def test_a_planned_location_says_nothing_of_where_she_is_now(hospital_api, admitted):
    response = put(hospital_api, admitted["id"], encounter(ward=None, location=[
        {"location": {"identifier": {"value": "CAR"}}, "status": "planned"}]))

    assert response.status_code == 200, response.content
    assert Stay.objects.get().ward.code == "GER"
    assert stay_events() == ["stay.open"]


def test_the_active_location_is_the_ward(hospital_api, admitted):
    response = put(hospital_api, admitted["id"], encounter(ward=None, location=[
        {"location": {"identifier": {"value": "GER"}}, "status": "completed"},
        {"location": {"identifier": {"value": "CAR"}}, "status": "active"}]))

    assert response.status_code == 200, response.content
    assert Stay.objects.get().ward.code == "CAR"


def test_a_stale_if_match_is_a_412_and_changes_nothing(hospital_api, admitted):
    put(hospital_api, admitted["id"], encounter(ward="CAR"))

    stale = put(hospital_api, admitted["id"], encounter(ward="GER"),
                HTTP_IF_MATCH=f'W/"{admitted["meta"]["versionId"]}"')
    held = put(hospital_api, admitted["id"], encounter(ward="GER",
                                                       meta={"versionId": "0123456789abcdef"}))

    assert "has changed since the version" in _outcome(stale, 412, "conflict")
    assert "has changed since the version" in _outcome(held, 409, "conflict")
    assert Stay.objects.get().ward.code == "CAR"


@pytest.mark.parametrize("change, path", [
    ({"identifier": [{"value": "V-OTHER"}]}, "identifier"),
    ({"serviceProvider": {"reference": "Organization/999999"}}, "serviceProvider"),
    ({"priority": {"coding": [{"code": "EL"}]}}, "priority")])
def test_what_identifies_a_stay_does_not_change(change, path, hospital_api, admitted):
    response = put(hospital_api, admitted["id"], encounter(**change))

    assert _outcome(response, 422, "business-rule") == (
        f"“{path}” cannot change on an existing encounter.")
    assert Stay.objects.get().visit_number == "V-2026-042"


def test_an_update_of_an_encounter_that_does_not_exist_is_a_404(hospital_api, madeleine):
    response = put(hospital_api, 999999, encounter())

    _outcome(response, 404, "not-found")
    assert Stay.objects.count() == 0


# --- who may write -----------------------------------------------------------------------


def _denied():
    return AuditEvent.objects.filter(outcome=Outcome.DENIED).count()


def test_a_client_of_another_hospital_neither_sees_nor_changes_the_stay(api, admitted):
    other = api(HospitalFactory(name="Other Hospital"), allowed=WRITER)
    denied = _denied()

    response = put(other, admitted["id"], encounter("cancelled"))

    _outcome(response, 404, "not-found")
    assert Stay.objects.get().cancelled_at is None
    assert _denied() == denied + 1


def test_a_member_of_her_network_reads_the_stay_but_does_not_change_it(api, world, admitted):
    nursing = api(world.home_nursing, allowed=WRITER)
    assert nursing.get(f"/fhir/Encounter/{admitted['id']}").status_code == 200
    denied = _denied()

    response = put(nursing, admitted["id"], encounter("cancelled"))

    assert "may read Encounter" in _outcome(response, 403, "forbidden")
    assert Stay.objects.get().cancelled_at is None
    assert _denied() == denied + 1


def test_only_a_hospital_writes_and_only_its_own_encounters(api, world, madeleine):
    nursing = api(world.home_nursing, allowed=WRITER)
    hospital = api(world.hospital, allowed=WRITER)
    other = HospitalFactory(name="Other Hospital")

    not_a_hospital = post(nursing, encounter())
    for_another = post(hospital, encounter(
        serviceProvider={"reference": f"Organization/{other.pk}"}))

    for response in (not_a_hospital, for_another):
        assert "the hospital it acts for" in _outcome(response, 403, "forbidden")
    assert Stay.objects.count() == 0


def test_a_hospital_the_person_excluded_cannot_update_her_stay(hospital_api, world,
                                                               admitted, coordinator):
    member = services.add_member(_madeleine(admitted), kind=MemberKind.ORGANISATION,
                                 organisation=world.hospital, roles=[Role.SOCIAL_WORKER],
                                 actor=coordinator)
    services.exclude_member(member, actor=coordinator)

    response = put(hospital_api, admitted["id"], encounter("cancelled"))

    _outcome(response, 404, "not-found")
    assert Stay.objects.get().cancelled_at is None


def _madeleine(admitted):
    return Stay.objects.get(pk=admitted["id"]).person


@pytest.mark.parametrize("allowed", ["system/*.rs", "system/Encounter.rs system/Encounter.u"])
def test_a_token_without_the_create_scope_is_refused(allowed, api, world, madeleine):
    caller = api(world.hospital, allowed=allowed)

    response = post(caller, encounter())

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    assert Stay.objects.count() == 0


def test_a_session_reads_but_never_writes(client, liaison_nurse, madeleine):
    client.force_login(liaison_nurse)

    response = post(client, encounter())

    assert "Only a system client" in _outcome(response, 403, "forbidden")
    assert Stay.objects.count() == 0


def test_a_type_that_is_not_written_answers_405(hospital_api, madeleine):
    response = hospital_api.put(f"/fhir/Organization/{madeleine.owner_organisation_id}", "{}",
                                content_type=FHIR)

    assert _outcome(response, 405, "not-supported") == (
        "PUT is not allowed at this address: use GET, HEAD.")
    assert response["Allow"] == "GET, HEAD"
    assert hospital_api.delete("/fhir/Encounter/1")["Allow"] == "GET, HEAD, PUT"


# --- bad input ---------------------------------------------------------------------------


def _without(name):
    body = encounter()
    del body[name]
    return body


BAD = [
    ("{not json", 400, "structure", "The body is not valid JSON."),
    ('["an", "array"]', 400, "invalid", "The body must be a resource of type Encounter (its "
                                         "resourceType is “None”)."),
    (json.dumps({"resourceType": "Patient"}), 400, "invalid",
     "The body must be a resource of type Encounter (its resourceType is “Patient”)."),
    (_without("status"), 400, "required", "“status” is required."),
    (_without("class"), 400, "required", "“class” is required."),
    (_without("identifier"), 400, "required", "“identifier” is required."),
    (_without("subject"), 400, "required", "“subject” is required."),
    (encounter(colour="blue"), 400, "structure", "Unknown element “colour” in Encounter."),
    (encounter(period={"start": "2026-03-02T10:00:00+01:00", "finish": "x"}), 400,
     "structure", "Unknown element “finish” in period."),
    (encounter(start="2026-03-02T10:15:00"), 400, "invalid",
     "“2026-03-02T10:15:00” is not a valid value for “period.start”."),
    (encounter(subject={"identifier": {"system": SSIN, "value": "41030200245"}}), 400,
     "invalid", "“41030200245” is not a valid national register or BIS number (SSIN)."),
    (encounter(status="planned"), 422, "business-rule",
     "Relais keeps encounters in progress, finished or cancelled; “planned” is not one of "
     "them."),
    (encounter(status="bogus"), 400, "invalid",
     "“bogus” is not a valid value for “status”."),
    (encounter(**{"class": {"code": "AMB"}}), 422, "business-rule",
     "Relais follows hospital stays (inpatient encounters) only."),
    (encounter(subject={"identifier": {"system": SSIN, "value": "85073003328"}}), 422,
     "business-rule", "No person with this SSIN is known to Relais: a liaison nurse opens "
                      "the record first."),
    (encounter(ward="NOPE"), 422, "business-rule",
     "“NOPE” is not a ward of this hospital in Relais."),
    (encounter(location=[{"location": {"display": "Geriatrics"}, "status": "here"}]), 400,
     "invalid", "“here” is not a valid value for “location.status”."),
    (encounter(end="2026-03-09T11:00:00+01:00"), 422, "business-rule",
     "An encounter in progress has no end yet: send period.end with status finished."),
    (encounter("finished"), 400, "required", "“period.end” is required."),
    (encounter("finished", start="2026-03-09T11:00:00+01:00", end="2026-03-02T11:00:00+01:00"),
     422, "business-rule", "The discharge cannot be before the admission."),
    (encounter(start="1990-01-01"), 422, "business-rule", None),
]


@pytest.mark.parametrize("body, status, code, text", BAD)
def test_bad_input_is_an_outcome_and_changes_nothing(body, status, code, text, hospital_api,
                                                     madeleine):
    events = AuditEvent.objects.count()

    response = post(hospital_api, body)

    diagnostics = _outcome(response, status, code)
    assert text is None or diagnostics == text
    assert Stay.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_the_ssin_system_without_core_finds_her_too(hospital_api, madeleine):
    response = post(hospital_api, encounter(
        subject={"identifier": {"system": SSIN_OLD, "value": MADELEINE_SSIN}}))

    assert response.status_code == 201, response.content


def test_a_body_that_is_not_json_is_a_415(hospital_api, madeleine):
    response = hospital_api.post("/fhir/Encounter", "<Encounter/>",
                                 content_type="application/fhir+xml")

    _outcome(response, 415, "not-supported")
    assert Stay.objects.count() == 0


def test_errors_are_in_the_callers_language(api, world, madeleine):
    world.ward.code = "GER"
    world.ward.save()
    caller = api(world.hospital, allowed=WRITER, language="fr")

    response = post(caller, encounter(colour="blue"))

    assert _outcome(response, 400, "structure") == "Élément inconnu « colour » dans Encounter."


def test_a_write_response_in_minimal_form(hospital_api, madeleine):
    response = post(hospital_api, encounter(), HTTP_PREFER="return=minimal")

    assert response.status_code == 201
    assert response.content == b""
    assert response["Location"].endswith(f"/fhir/Encounter/{Stay.objects.get().pk}")


def test_an_anonymous_write_is_a_401(madeleine):
    assert Client().post("/fhir/Encounter", "{}", content_type=FHIR).status_code == 401


@pytest.mark.parametrize("status", [["in-progress"], {"code": "in-progress"}, 3])
def test_a_status_that_is_not_text_is_a_400_and_changes_nothing(hospital_api, madeleine,
                                                               status):
    response = post(hospital_api, encounter(status=status))
    _outcome(response, 400, "invalid")
    assert stay_events() == []
