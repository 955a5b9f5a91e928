"""Patient update: a system whose organisation may complete the record (the gate's
"completable", as the page's edit form) sends the Patient back changed, through the
persons' service; If-Match names the version; who may not gets the 404 of what it cannot
read or a 403, and bad input is an OperationOutcome; in every refusal nothing changed.
And an Encounter opened on the pages (no visit number) is sent back as read."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from fhir.resources import construct_fhir_element

from relais.audit.models import AuditEvent, Outcome
from relais.interop.fhir.identifiers import SSIN
from relais.network import services
from relais.network.models import Person
from relais.stays import services as stay_services
from relais.stays.models import Stay

pytestmark = pytest.mark.django_db

WRITER = "system/*.rs system/Patient.u system/Encounter.u"
FHIR = "application/fhir+json"
OTHER_SSIN = "85073003328"  # 30 July 1985, a man


def put(caller, person, body, **headers):
    return caller.put(f"/fhir/Patient/{person.pk}", json.dumps(body), content_type=FHIR,
                      **headers)


def _read(caller, person) -> dict:
    response = caller.get(f"/fhir/Patient/{person.pk}")
    assert response.status_code == 200, response.content
    return response.json()


def _snapshot(person) -> tuple:
    person = Person.objects.get(pk=person.pk)
    return (person.version, person.first_name, person.last_name, person.birth_date,
            person.niss, person.phone, person.street)


@pytest.fixture
def centre(api, world):
    """The coordination centre keeps her record: it may complete it."""
    return api(world.coordination_centre, allowed=WRITER)


def test_the_keeper_changes_her_details_through_the_persons_service(centre, madeleine):
    body = _read(centre, madeleine)
    body["telecom"] = [{"system": "phone", "value": "+32 2 555 00 09"}]
    body["address"][0]["line"] = ["Rue Haute 2"]
    body["name"][0]["given"] = ["Madeleine", "Anne"]

    response = put(centre, madeleine, body, HTTP_IF_MATCH='W/"1"')

    assert response.status_code == 200, response.content
    construct_fhir_element("Patient", response.json())
    assert response["ETag"].startswith('W/"2-')  # the row's version, and her GP's digest
    person = Person.objects.get(pk=madeleine.pk)
    assert (person.first_name, person.phone, person.street, person.niss, person.version) == (
        "Madeleine Anne", "+32 2 555 00 09", "Rue Haute 2", madeleine.niss, 2)
    event = AuditEvent.objects.get(action="person.change", person_id=madeleine.pk)
    assert event.detail == {"fields": ["first_name", "street", "phone"]}
    assert event.actor.email.startswith("fhir.")


def test_the_same_patient_sent_back_changes_nothing(centre, madeleine):
    response = put(centre, madeleine, _read(centre, madeleine))

    assert response.status_code == 200, response.content
    assert response["ETag"].startswith('W/"1-')
    assert not AuditEvent.objects.filter(action="person.change").exists()


def test_a_record_without_ssin_is_updated_and_keeps_none(centre, madeleine):
    Person.objects.filter(pk=madeleine.pk).update(niss="")
    body = _read(centre, madeleine)
    assert "identifier" not in body
    body["birthDate"] = "1941-03-03"

    response = put(centre, madeleine, body)

    assert response.status_code == 200, response.content
    person = Person.objects.get(pk=madeleine.pk)
    assert (person.niss, str(person.birth_date)) == ("", "1941-03-03")


def test_an_ssin_left_out_is_kept_and_one_sent_is_checked(centre, madeleine):
    body = _read(centre, madeleine)
    del body["identifier"]
    assert put(centre, madeleine, body).status_code == 200
    assert Person.objects.get(pk=madeleine.pk).niss == madeleine.niss

    body["identifier"] = [{"system": SSIN, "value": "41030200245"}]  # check digits wrong
    refused = put(centre, madeleine, body)

    assert refused.status_code == 400
    assert refused.json()["issue"][0]["code"] == "invalid"
    assert Person.objects.get(pk=madeleine.pk).niss == madeleine.niss


def test_an_ssin_that_does_not_match_her_birth_date_is_refused(centre, madeleine):
    before = _snapshot(madeleine)
    body = _read(centre, madeleine)
    body["identifier"] = [{"system": SSIN, "value": OTHER_SSIN}]

    response = put(centre, madeleine, body)

    assert response.status_code == 422
    assert "born on 30/07/1985" in response.json()["issue"][0]["diagnostics"]
    assert _snapshot(madeleine) == before


def test_an_ssin_held_by_another_record_is_a_conflict(centre, madeleine, world, coordinator):
    services.create_person({"first_name": "Jan", "last_name": "Peeters", "niss": OTHER_SSIN},
                           actor=coordinator, organisation=world.home_nursing)
    before = _snapshot(madeleine)
    body = _read(centre, madeleine)
    body.update(identifier=[{"system": SSIN, "value": OTHER_SSIN}], birthDate="1985-07-30",
                gender="male")

    response = put(centre, madeleine, body)

    assert response.status_code == 409
    assert response.json()["issue"][0]["code"] == "duplicate"
    assert _snapshot(madeleine) == before


def test_a_stale_version_is_refused(centre, madeleine, coordinator):
    body = _read(centre, madeleine)
    services.update_person(Person.objects.get(pk=madeleine.pk), {"phone": "+32 2 555 00 07"},
                           actor=coordinator, expected_version=1)
    body["telecom"] = [{"system": "phone", "value": "+32 2 555 00 09"}]
    before = _snapshot(madeleine)

    by_header = put(centre, madeleine, body, HTTP_IF_MATCH='W/"1"')
    by_meta = put(centre, madeleine, body)

    assert (by_header.status_code, by_meta.status_code) == (412, 409)
    assert _snapshot(madeleine) == before


@pytest.mark.parametrize("change, status, code", [
    ({"name": [{"given": ["Madeleine"]}]}, 400, "required"),
    ({"birthDate": "2 March 1941"}, 400, "invalid"),
    ({"gender": "f"}, 400, "invalid"),
    ({"maidenName": "Dupont"}, 400, "structure"),
    ({"managingOrganization": {"reference": "Organization/999999"}}, 422, "business-rule"),
    ({"deceasedBoolean": True}, 422, "business-rule"),
    ({"id": "999999"}, 400, "invalid"),
])
def test_bad_input_changes_nothing(centre, madeleine, change, status, code):
    before = _snapshot(madeleine)
    body = {**_read(centre, madeleine), **change}

    response = put(centre, madeleine, body)

    assert response.status_code == status, response.content
    construct_fhir_element("OperationOutcome", response.json())
    assert response.json()["issue"][0]["code"] == code
    assert _snapshot(madeleine) == before


def _refused_organisation(case, world, madeleine, excluded_organisation, coordinator):
    if case == "unrelated":
        return world.care_zone_team
    if case == "excluded":
        return excluded_organisation
    services.revoke_consent(madeleine.consents.get(), actor=coordinator)
    return world.home_nursing


@pytest.mark.parametrize("case", ["unrelated", "excluded", "no consent"])
def test_a_system_that_may_not_read_her_gets_a_404_and_changes_nothing(
        case, api, world, madeleine, excluded_organisation, coordinator, centre):
    body = _read(centre, madeleine)
    body["telecom"] = [{"system": "phone", "value": "+32 2 555 00 09"}]
    caller = api(_refused_organisation(case, world, madeleine, excluded_organisation,
                                       coordinator), allowed=WRITER)
    before = _snapshot(madeleine)

    response = put(caller, madeleine, body)

    assert response.status_code == 404
    assert "Lambert" not in response.content.decode()
    assert _snapshot(madeleine) == before
    refusal = AuditEvent.objects.filter(outcome=Outcome.DENIED).latest("pk")
    assert refusal.detail["action"] == "update"


def test_a_member_that_reads_her_record_may_complete_it(api, world, madeleine):
    """The home-nursing service is in her network with her consent: the gate's
    "completable", as on the page."""
    caller = api(world.home_nursing, allowed=WRITER)
    body = _read(caller, madeleine)
    body["telecom"] = [{"system": "phone", "value": "+32 2 555 00 09"}]

    assert put(caller, madeleine, body).status_code == 200
    assert Person.objects.get(pk=madeleine.pk).phone == "+32 2 555 00 09"


def test_a_scope_short_of_u_and_a_session_write_nothing(api, world, madeleine, client, gp,
                                                        caregiver, daughter, centre):
    body = _read(centre, madeleine)
    body["telecom"] = [{"system": "phone", "value": "+32 2 555 00 09"}]
    before = _snapshot(madeleine)
    reader = api(world.coordination_centre)  # system/*.rs
    client.force_login(gp)
    gp_session = put(client, madeleine, body)
    daughter.user = caregiver
    daughter.save()
    client.force_login(caregiver)  # a portal account in her network

    assert put(reader, madeleine, body).status_code == 403
    assert gp_session.status_code == 403
    assert put(client, madeleine, body).status_code == 403
    assert _snapshot(madeleine) == before


def test_an_encounter_opened_on_the_pages_is_sent_back_as_read(api, world, madeleine,
                                                               liaison_nurse):
    stay = stay_services.open_stay(madeleine, hospital=world.hospital, ward=world.ward,
                                   admitted_at=timezone.now() - timedelta(days=2),
                                   actor=liaison_nurse)
    caller = api(world.hospital, allowed=WRITER)
    body = caller.get(f"/fhir/Encounter/{stay.pk}").json()
    assert "identifier" not in body
    body["status"] = "finished"
    body["period"]["end"] = (timezone.now() - timedelta(hours=1)).isoformat(
        timespec="seconds")

    response = caller.put(f"/fhir/Encounter/{stay.pk}", json.dumps(body), content_type=FHIR)

    assert response.status_code == 200, response.content
    assert Stay.objects.get(pk=stay.pk).discharged_at is not None
    assert Stay.objects.get(pk=stay.pk).visit_number == ""


def test_the_hospital_gives_a_stay_opened_on_the_pages_its_visit_number_once(
        api, world, madeleine, liaison_nurse, coordinator):
    stay = stay_services.open_stay(madeleine, hospital=world.hospital, ward=world.ward,
                                   admitted_at=timezone.now() - timedelta(days=2),
                                   actor=liaison_nurse)
    someone = services.create_person(
        {"first_name": "Odon", "last_name": "Other", "birth_date": date(1950, 1, 1)},
        actor=coordinator, organisation=world.coordination_centre)
    other = stay_services.open_stay(
        someone, hospital=world.hospital, ward=world.ward, visit_number="V-TAKEN",
        admitted_at=timezone.now() - timedelta(days=1), actor=liaison_nurse)
    caller = api(world.hospital, allowed=WRITER)
    body = caller.get(f"/fhir/Encounter/{stay.pk}").json()

    def send(number):
        sent = {**body, "identifier": [{"value": number}]}
        return caller.put(f"/fhir/Encounter/{stay.pk}", json.dumps(sent), content_type=FHIR)

    taken = send("V-TAKEN")
    assert taken.status_code == 409 and Stay.objects.get(pk=stay.pk).visit_number == ""
    given = send("V-9")
    assert given.status_code == 200, given.content
    assert given.json()["identifier"][0]["value"] == "V-9"
    assert Stay.objects.get(pk=stay.pk).visit_number == "V-9"
    assert caller.get("/fhir/Encounter", {"identifier": "V-9"}).json()["total"] == 1
    body = given.json()
    again = send("V-10")  # then it is the encounter's identifier: it does not change
    assert again.status_code == 422
    assert Stay.objects.get(pk=stay.pk).visit_number == "V-9"
    assert Stay.objects.get(pk=other.pk).visit_number == "V-TAKEN"
