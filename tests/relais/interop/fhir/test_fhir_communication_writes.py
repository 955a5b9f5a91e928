"""Communication create: a member's software writes in Madeleine's booklet through the
booklet's service (its audiences, whom an entry may name, its audit and news); a client
that does not read her, or whose token lacks the scope, writes nothing; bad input is an
OperationOutcome and changes nothing. What is answered is valid R4 (fhir.resources)."""

import json

import pytest
from fhir.resources import construct_fhir_element

from relais.access.models import Consent
from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.booklet.models import Audience, Entry, EntryKind
from relais.network import services
from relais.notifications.models import Notification

pytestmark = pytest.mark.django_db

WRITER = "system/*.rs system/Communication.c"
KIND = "urn:relais:booklet-kind"
AUDIENCE = "urn:relais:booklet-audience"


def communication(person, text="Wound dressed; she slept well.", **more):
    return {"resourceType": "Communication", "status": "completed",
            "subject": {"reference": f"Patient/{person.pk}"},
            "payload": [{"contentString": text}], **more}


def post(caller, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return caller.post("/fhir/Communication", data, content_type="application/fhir+json",
                       **headers)


def _outcome(response, status, code):
    assert response.status_code == status, response.content
    outcome = response.json()
    construct_fhir_element("OperationOutcome", outcome)
    assert outcome["issue"][0]["code"] == code, outcome
    return outcome["issue"][0]["diagnostics"]


@pytest.fixture
def nursing_api(api, world):
    return api(world.home_nursing, allowed=WRITER)


def test_a_members_software_writes_in_the_booklet(nursing_api, world, madeleine, gp):
    response = post(nursing_api, communication(madeleine, category=[
        {"coding": [{"system": KIND, "code": "observation"}]}]))

    assert response.status_code == 201, response.content
    entry = Entry.objects.get()
    assert (entry.person, entry.kind, entry.audience, entry.body, entry.author,
            entry.author_organisation) == (madeleine, EntryKind.OBSERVATION, Audience.NETWORK,
                                           "Wound dressed; she slept well.",
                                           nursing_api.system.account, world.home_nursing)
    document = response.json()
    construct_fhir_element("Communication", document)
    assert document["id"] == str(entry.pk)
    assert response["Location"].endswith(f"/fhir/Communication/{entry.pk}")
    written = AuditEvent.objects.get(action="booklet.write")
    assert (written.actor, written.person_id, written.organisation) == (
        nursing_api.system.account, madeleine.pk, world.home_nursing)
    assert Notification.objects.filter(recipient=gp, kind="booklet.entry").count() == 1


def test_recipients_make_an_entry_for_named_members(nursing_api, madeleine, gp, daughter):
    response = post(nursing_api, communication(madeleine, recipient=[
        {"reference": f"Practitioner/{gp.pk}"}, {"reference": f"RelatedPerson/{daughter.pk}"}]))

    assert response.status_code == 201, response.content
    entry = Entry.objects.get()
    assert entry.audience == Audience.NAMED
    assert set(entry.named_members.all()) == {madeleine.members.get(user=gp), daughter}


def test_an_answer_to_an_entry_of_her_booklet(nursing_api, madeleine, coordinator):
    question = booklet.write(madeleine, author=coordinator, body="Did she eat?",
                             kind=EntryKind.QUESTION)

    response = post(nursing_api, communication(
        madeleine, "Yes, all of it.", inResponseTo=[{"reference": f"Communication/{question.pk}"}],
        category=[{"coding": [{"system": KIND, "code": "answer"}]}]))

    assert response.status_code == 201, response.content
    assert Entry.objects.get(kind=EntryKind.ANSWER).reply_to == question
    assert response.json()["inResponseTo"] == [{"reference": f"Communication/{question.pk}"}]


# --- the sender's identifier: a retried POST writes nothing twice ----------------------------

SENT = {"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": "note-4711"}
CONDITION = {"HTTP_IF_NONE_EXIST": f"identifier={SENT['system']}|{SENT['value']}"}


def test_a_retried_post_with_if_none_exist_writes_the_entry_once(nursing_api, madeleine, gp):
    first = post(nursing_api, communication(madeleine, identifier=[SENT]), **CONDITION)
    again = post(nursing_api, communication(madeleine, identifier=[SENT]), **CONDITION)

    assert (first.status_code, again.status_code) == (201, 200)
    entry = Entry.objects.get()
    assert first.json()["id"] == again.json()["id"] == str(entry.pk)
    assert (entry.identifier_system, entry.identifier_value) == (SENT["system"],
                                                                 SENT["value"])
    assert again.json()["identifier"] == [SENT]
    construct_fhir_element("Communication", again.json())
    assert AuditEvent.objects.filter(action="booklet.write").count() == 1
    assert Notification.objects.filter(recipient=gp, kind="booklet.entry").count() == 1


def test_a_plain_post_of_an_identifier_used_already_is_a_conflict(nursing_api, madeleine):
    post(nursing_api, communication(madeleine, identifier=[SENT]))

    response = post(nursing_api, communication(madeleine, identifier=[SENT]))

    assert "already wrote an entry with the identifier “note-4711”" in _outcome(
        response, 409, "duplicate")
    assert Entry.objects.count() == 1


def test_the_identifier_is_the_senders_own(api, world, nursing_api, madeleine):
    """Another client (the coordination centre's) using the same identifier writes its own
    entry: If-None-Exist matches the entries this client wrote, not another's."""
    centre_api = api(world.coordination_centre, allowed=WRITER)
    post(nursing_api, communication(madeleine, identifier=[SENT]), **CONDITION)

    response = post(centre_api, communication(madeleine, "From the centre.",
                                              identifier=[SENT]), **CONDITION)

    assert response.status_code == 201, response.content
    assert Entry.objects.filter(identifier_value="note-4711").count() == 2
    found = centre_api.get("/fhir/Communication", {"identifier": "note-4711"}).json()
    assert found["total"] == 2  # a search finds what the client reads, whoever sent it


def test_a_client_that_no_longer_reads_her_finds_nothing_and_writes_nothing(
        nursing_api, madeleine, coordinator):
    post(nursing_api, communication(madeleine, identifier=[SENT]), **CONDITION)
    services.revoke_consent(Consent.objects.in_force().get(person=madeleine),
                            actor=coordinator)

    response = post(nursing_api, communication(madeleine, identifier=[SENT]), **CONDITION)

    assert _outcome(response, 422, "business-rule") == (
        f"Patient/{madeleine.pk} is not known to this server.")
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("who", ["unrelated", "excluded", "no consent"])
def test_a_client_that_does_not_read_her_writes_nothing(who, api, world, madeleine,
                                                        excluded_organisation, coordinator):
    if who == "no consent":
        services.revoke_consent(Consent.objects.in_force().get(person=madeleine),
                                actor=coordinator)
    organisation = {"unrelated": world.care_zone_team, "excluded": excluded_organisation,
                    "no consent": world.home_nursing}[who]

    response = post(api(organisation, allowed=WRITER), communication(madeleine))

    assert _outcome(response, 422, "business-rule") == (
        f"Patient/{madeleine.pk} is not known to this server.")
    assert Entry.objects.count() == 0
    assert "Lambert" not in response.content.decode()


def test_a_token_without_the_create_scope_writes_nothing(api, world, madeleine):
    response = post(api(world.home_nursing), communication(madeleine))

    assert response.status_code == 403
    assert Entry.objects.count() == 0


def test_a_system_may_not_write_for_health_professionals_only(nursing_api, madeleine):
    response = post(nursing_api, communication(madeleine, category=[
        {"coding": [{"system": AUDIENCE, "code": "health"}]}]))

    assert _outcome(response, 422, "business-rule") == (
        "This client may not write for the audience “health”.")
    assert Entry.objects.count() == 0


def _bad(madeleine_pk, excluded_pk):
    person = type("P", (), {"pk": madeleine_pk})
    base = communication(person)
    return [
        ("{not json", 400, "structure"),
        (json.dumps({"resourceType": "Encounter"}), 400, "invalid"),
        ({**base, "colour": "blue"}, 400, "structure"),
        ({k: v for k, v in base.items() if k != "payload"}, 400, "required"),
        ({k: v for k, v in base.items() if k != "status"}, 400, "required"),
        ({**base, "status": "in-progress"}, 422, "business-rule"),
        ({**base, "payload": [{"contentAttachment": {"title": "x.pdf"}}]}, 422,
         "business-rule"),
        ({**base, "payload": [{"contentString": "   "}]}, 422, "business-rule"),
        ({**base, "recipient": [{"reference": f"Organization/{excluded_pk}"}]}, 422,
         "business-rule"),
        ({**base, "sender": {"reference": "Practitioner/1"}}, 422, "business-rule"),
        ({**base, "category": [{"coding": [{"system": KIND, "code": "gossip"}]}]}, 400,
         "invalid"),
        ({**base, "subject": {"reference": "Patient/lambert"}}, 400, "invalid"),
        ({**base, "identifier": {"value": "x"}}, 400, "invalid"),
        ({**base, "identifier": [{"system": "urn:x", "value": "y" * 201}]}, 400, "invalid"),
    ]


@pytest.mark.parametrize("case", range(14))
def test_bad_input_is_an_outcome_and_changes_nothing(case, nursing_api, madeleine,
                                                     excluded_organisation):
    body, status, code = _bad(madeleine.pk, excluded_organisation.pk)[case]
    events = AuditEvent.objects.count()

    _outcome(post(nursing_api, body), status, code)

    assert Entry.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_the_capability_statement_says_communication_is_created(client):
    served = {r["type"]: r for r in client.get("/fhir/metadata").json()["rest"][0]["resource"]}
    scopes = client.get("/fhir/.well-known/smart-configuration").json()["scopes_supported"]

    assert [i["code"] for i in served["Communication"]["interaction"]] == [
        "read", "search-type", "vread", "history-instance", "create"]
    assert "system/Communication.crs" in scopes
    assert "system/Communication.u" not in scopes
