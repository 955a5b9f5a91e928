"""Patient create: a hospital's system opens the record of a person Relais does not know,
through the persons' service, and then admits them; a retried conditional create finds
the record it made; an SSIN held by a person the client may not read is neither shown
nor changed, and the answer is the same whatever the reason; only a token with
system/Patient.c creates; bad input is an OperationOutcome and changes nothing. Every
answer is valid R4 (fhir.resources)."""

import json
from datetime import date

import pytest
from fhir.resources import construct_fhir_element

from relais.access.models import Consent
from relais.audit.models import AuditEvent, Outcome
from relais.interop.fhir.identifiers import SSIN, SSIN_OLD
from relais.network import services
from relais.network.models import MemberKind, NetworkMember, Person, Relation, Role
from relais.stays.models import Stay
from tests.factories import HospitalFactory
from tests.relais.interop.fhir.conftest import MADELEINE_SSIN

pytestmark = pytest.mark.django_db

WRITER = "system/*.rs system/Patient.c system/Encounter.cu"
FHIR = "application/fhir+json"
JAN_SSIN = "85073003328"  # 30 July 1985, a man (an odd counter)


def patient(ssin=JAN_SSIN, *, system=SSIN, **more):
    body = {"resourceType": "Patient",
            "identifier": [{"system": "urn:oid:1.2.3.4.5", "value": "MRN-77"},
                           {"use": "official", "system": system, "value": ssin}],
            "name": [{"use": "official", "family": "Peeters", "given": ["Jan", "Maria"]}],
            "gender": "male", "birthDate": "1985-07-30",
            "telecom": [{"system": "email", "value": "jan@example.org"},
                        {"system": "phone", "value": "+32 2 555 01 01", "use": "home"}],
            "address": [{"use": "home", "line": ["Rue Royale Sainte-Marie 12"],
                         "postalCode": "1030", "city": "Schaarbeek", "country": "BE"}],
            "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47",
                                                        "code": "nl-BE"}]},
                               "preferred": True}]}
    return {**body, **more}


def post(caller, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return caller.post("/fhir/Patient", data, content_type=FHIR, **headers)


def _outcome(response, status, code):
    assert response.status_code == status, response.content
    outcome = response.json()
    construct_fhir_element("OperationOutcome", outcome)
    assert outcome["issue"][0]["code"] == code, outcome
    return outcome["issue"][0]["diagnostics"]


@pytest.fixture
def hospital_api(api, world):
    return api(world.hospital, allowed=WRITER)


def _if_none_exist(ssin=JAN_SSIN, system=SSIN):
    return {"HTTP_IF_NONE_EXIST": f"identifier={system}|{ssin}"}


# --- a person Relais does not know ------------------------------------------------------


def test_a_hospital_opens_the_record_of_a_person_relais_does_not_know(hospital_api, world):
    response = post(hospital_api, patient())

    assert response.status_code == 201, response.content
    person = Person.objects.get()
    assert (person.niss, person.first_name, person.last_name, person.birth_date, person.sex,
            person.phone, person.street, person.postcode, person.municipality.nis_code,
            person.language, person.owner_organisation, person.created_by) == (
        JAN_SSIN, "Jan Maria", "Peeters", date(1985, 7, 30), "M", "+32 2 555 01 01",
        "Rue Royale Sainte-Marie 12", "1030", "21015", "nl", world.hospital,
        hospital_api.system.account)
    # As the page's form: the person is their own contact point, the hospital a member.
    assert set(NetworkMember.objects.filter(person=person).values_list(
        "relation", "organisation")) == {(Relation.SELF, None), ("", world.hospital.pk)}
    document = response.json()
    construct_fhir_element("Patient", document)
    assert response["Location"] == f"http://testserver/fhir/Patient/{person.pk}"
    assert response["ETag"] == f'W/"{person.version}"'
    assert document["identifier"] == [{"use": "official", "system": SSIN, "value": JAN_SSIN}]
    assert document["managingOrganization"] == {
        "reference": f"Organization/{world.hospital.pk}"}
    created = AuditEvent.objects.get(action="person.create")
    assert (created.actor, created.organisation, created.person_id) == (
        hospital_api.system.account, world.hospital, person.pk)


def test_the_hospital_then_admits_the_person_it_created(hospital_api, world):
    person_id = post(hospital_api, patient()).json()["id"]

    response = hospital_api.post("/fhir/Encounter", json.dumps({
        "resourceType": "Encounter", "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "identifier": [{"value": "V-2026-100"}],
        "subject": {"reference": f"Patient/{person_id}"},
        "period": {"start": "2026-03-02T10:15:00+01:00"}}), content_type=FHIR)

    assert response.status_code == 201, response.content
    assert Stay.objects.get().person_id == int(person_id)


def test_a_retried_conditional_create_creates_nothing_twice(hospital_api):
    first = post(hospital_api, patient(), **_if_none_exist())
    # The retry names the SSIN by the older system, and sends another phone: the match
    # is answered, not changed.
    again = post(hospital_api, patient(system=SSIN_OLD, telecom=[
        {"system": "phone", "value": "+32 470 99 99 99"}]), **_if_none_exist(system=SSIN_OLD))

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    construct_fhir_element("Patient", again.json())
    assert Person.objects.get().phone == "+32 2 555 01 01"
    assert AuditEvent.objects.filter(action="person.create").count() == 1


def test_a_plain_post_of_an_ssin_the_client_reads_is_a_conflict(hospital_api):
    post(hospital_api, patient())

    response = post(hospital_api, patient())

    assert "already known to this client" in _outcome(response, 409, "duplicate")
    assert Person.objects.count() == 1


def test_a_conditional_create_answers_a_person_the_client_reads_without_changing_her(
        api, world, madeleine):
    nursing = api(world.home_nursing, allowed=WRITER)  # a member of her network

    response = post(nursing, patient(MADELEINE_SSIN, gender="female",
                                     birthDate="1941-03-02",
                                     name=[{"family": "LAMBERT", "given": ["M."]}]),
                    **_if_none_exist(MADELEINE_SSIN))

    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(madeleine.pk)
    madeleine.refresh_from_db()
    assert (madeleine.first_name, madeleine.owner_organisation) == (
        "Madeleine", world.coordination_centre)


# --- an SSIN held by a person the client may not read -----------------------------------


def _caller_who_may_not_read_her(case, api, world, madeleine, excluded_organisation,
                                 coordinator):
    if case == "another hospital":
        return api(HospitalFactory(name="Other Hospital"), allowed=WRITER)
    if case == "excluded":
        return api(excluded_organisation, allowed=WRITER)
    services.revoke_consent(Consent.objects.in_force().get(person=madeleine),
                            actor=coordinator)
    return api(world.home_nursing, allowed=WRITER)  # a member, without her consent now


HIDDEN = ["another hospital", "excluded", "no consent"]


@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "If-None-Exist"])
@pytest.mark.parametrize("case", HIDDEN)
def test_an_ssin_of_a_person_the_client_may_not_read_is_neither_shown_nor_changed(
        case, conditional, api, world, madeleine, excluded_organisation, coordinator):
    caller = _caller_who_may_not_read_her(case, api, world, madeleine,
                                          excluded_organisation, coordinator)
    version, events = madeleine.version, AuditEvent.objects.count()

    response = post(caller, patient(MADELEINE_SSIN, gender="female", birthDate="1941-03-02",
                                    name=[{"family": "Dupont", "given": ["Marie"]}]),
                    **(_if_none_exist(MADELEINE_SSIN) if conditional else {}))

    assert _outcome(response, 200, "informational") == (
        "No Patient was created. To admit this person, send an Encounter naming the SSIN "
        "(subject.identifier).")
    assert response.json()["issue"][0]["severity"] == "information"
    assert not response.has_header("Location") and not response.has_header("ETag")
    assert str(madeleine.pk) not in response.content.decode()
    assert Person.objects.count() == 1
    madeleine.refresh_from_db()
    assert (madeleine.first_name, madeleine.last_name, madeleine.version) == (
        "Madeleine", "Lambert", version)
    refused = AuditEvent.objects.get(outcome=Outcome.DENIED, detail__reason="held")
    assert (refused.actor, refused.target_type, refused.target_id, refused.detail) == (
        caller.system.account, "network.person", str(madeleine.pk),
        {"action": "create", "via": "fhir", "reason": "held"})
    assert AuditEvent.objects.count() == events + 1  # the refusal, nothing else


def test_the_answer_is_the_same_whatever_the_reason(api, world, madeleine,
                                                    excluded_organisation):
    """An exclusion ("never inform") answers exactly as a hospital that never met her."""
    body = patient(MADELEINE_SSIN, gender="female", birthDate="1941-03-02")
    answers = [post(api(organisation, allowed=WRITER), body)
               for organisation in (HospitalFactory(), excluded_organisation)]

    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].content == answers[1].content
    assert sorted(answers[0].headers) == sorted(answers[1].headers)


def test_a_person_another_hospital_created_is_admitted_by_ssin_as_the_feed_would(
        api, hospital_api, world):
    other = api(HospitalFactory(name="Other Hospital"), allowed=WRITER)
    post(other, patient())

    unshown = post(hospital_api, patient())
    admitted = hospital_api.post("/fhir/Encounter", json.dumps({
        "resourceType": "Encounter", "status": "in-progress",
        "class": {"code": "IMP"}, "identifier": [{"value": "V-1"}],
        "subject": {"identifier": {"system": SSIN, "value": JAN_SSIN}},
        "period": {"start": "2026-03-02"}}), content_type=FHIR)

    assert unshown.status_code == 200
    assert admitted.status_code == 201, admitted.content
    assert Stay.objects.get().person == Person.objects.get(niss=JAN_SSIN)


# --- who may create -----------------------------------------------------------------------


@pytest.mark.parametrize("allowed", ["system/*.rs", "system/Patient.rs system/Encounter.cu"])
def test_a_token_without_the_create_scope_is_refused(allowed, api, world):
    caller = api(world.hospital, allowed=allowed)

    response = post(caller, patient())

    assert _outcome(response, 403, "forbidden")
    assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    assert Person.objects.count() == 0
    assert AuditEvent.objects.get(outcome=Outcome.DENIED).detail == {
        "action": "create", "via": "fhir", "reason": "scope"}


def test_a_session_reads_but_never_creates(client, liaison_nurse):
    client.force_login(liaison_nurse)

    response = post(client, patient())

    assert "Only a system client" in _outcome(response, 403, "forbidden")
    assert Person.objects.count() == 0


def test_the_record_is_kept_by_the_clients_organisation(hospital_api, world):
    response = post(hospital_api, patient(managingOrganization={
        "reference": f"Organization/{world.coordination_centre.pk}"}))

    assert "kept by this client's organisation" in _outcome(response, 422, "business-rule")
    assert Person.objects.count() == 0


# --- bad input ----------------------------------------------------------------------------


def _without(name):
    body = patient()
    del body[name]
    return body


BAD = [
    ("{not json", 400, "structure", "The body is not valid JSON."),
    (json.dumps({"resourceType": "Encounter"}), 400, "invalid",
     "The body must be a resource of type Patient (its resourceType is “Encounter”)."),
    (_without("identifier"), 400, "required",
     f"“identifier ({SSIN})” is required."),
    (patient("85073003329"), 400, "invalid",
     "“85073003329” is not a valid national register or BIS number (SSIN)."),
    (patient(name=[{"given": ["Jan"]}]), 400, "required", "“name.family” is required."),
    (_without("name"), 400, "required", "“name.family” is required."),
    (patient(colour="blue"), 400, "structure", "Unknown element “colour” in Patient."),
    (patient(address=[{"line": ["x"], "town": "y"}]), 400, "structure",
     "Unknown element “town” in address."),
    (patient(gender="man"), 400, "invalid", "“man” is not a valid value for “gender”."),
    (patient(birthDate="30/07/1985"), 400, "invalid",
     "“30/07/1985” is not a valid value for “birthDate”."),
    (patient(birthDate="1985"), 422, "business-rule",
     "Relais keeps a birth date as a whole day (YYYY-MM-DD): leave birthDate out when "
     "only its year or month is known."),
    (patient(birthDate="1985-07-31"), 422, "business-rule",
     "The national number says this person was born on 30/07/1985."),
    (patient(gender="female"), 422, "business-rule",
     "The national number does not match the sex recorded."),
    (patient(active=False), 422, "business-rule", None),
    (patient(deceasedBoolean=True), 422, "business-rule",
     "Relais does not open a record for a deceased person."),
    (patient(address=[{"postalCode": "75001-X"}]), 422, "business-rule", None),
]


@pytest.mark.parametrize("body, status, code, text", BAD)
def test_bad_input_is_an_outcome_and_changes_nothing(body, status, code, text, hospital_api):
    events = AuditEvent.objects.count()

    response = post(hospital_api, body)

    diagnostics = _outcome(response, status, code)
    assert text is None or diagnostics == text
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_errors_are_in_the_callers_language(api, world):
    caller = api(world.hospital, allowed=WRITER, language="fr")

    response = post(caller, patient(colour="blue"))

    assert _outcome(response, 400, "structure") == "Élément inconnu « colour » dans Patient."


def test_an_unknown_language_and_an_address_outside_brussels_are_kept_as_sent(hospital_api):
    response = post(hospital_api, patient(
        communication=[{"language": {"coding": [{"code": "tr"}], "text": "Turkish"}}],
        address=[{"line": ["Meir 1"], "postalCode": "2000", "city": "Antwerpen"}]))

    assert response.status_code == 201, response.content
    person = Person.objects.get()
    assert (person.language, person.other_language, person.street, person.postcode,
            person.municipality) == ("other", "Turkish", "Meir 1", "2000", None)


# --- what the server says -------------------------------------------------------------------


def test_the_capability_statement_and_the_scopes_offer_patient_create(client, system_client,
                                                                     world):
    statement = client.get("/fhir/metadata").json()
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    scopes = client.get("/fhir/.well-known/smart-configuration").json()["scopes_supported"]

    assert [i["code"] for i in served["Patient"]["interaction"]] == [
        "read", "search-type", "vread", "history-instance", "create", "update"]
    assert served["Patient"]["conditionalCreate"] is True
    assert {"system/Patient.c", "system/Patient.crs", "system/Patient.u"} <= set(scopes)
    client_, _secret = system_client(world.hospital, "system/Patient.c system/*.rs")
    assert client_.scopes == "system/Patient.c system/*.rs"


def test_a_hospital_in_her_network_reads_her_so_a_plain_post_is_a_duplicate(
        hospital_api, world, madeleine, coordinator):
    """The hospital in her network (with her consent) reads her: a plain POST of her SSIN
    is the 409 a client that reads her gets, not the answer that shows nothing."""
    services.add_member(madeleine, kind=MemberKind.ORGANISATION, organisation=world.hospital,
                        roles=[Role.SOCIAL_WORKER], actor=coordinator)

    response = post(hospital_api, patient(MADELEINE_SSIN, gender="female",
                                          birthDate="1941-03-02"))

    _outcome(response, 409, "duplicate")
