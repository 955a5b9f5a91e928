"""Task update: the receiving organisation's system answers a referral (accept, decline
with a reason, start, complete) and the sender's cancels it, through the referral
service's declared transitions; a transition that is not allowed, a side that may not
make it, a stale version or bad input is an OperationOutcome and changes nothing."""

import json
from datetime import date

import pytest
from fhir.resources import construct_fhir_element

from relais.access.models import ConsentScope
from relais.audit.models import AuditEvent
from relais.followup.models import Contact
from relais.network import services
from relais.network.models import NetworkMember
from relais.notifications.models import Notification
from relais.stays.models import Referral, ReferralEvent, ReferralStatus

pytestmark = pytest.mark.django_db

WRITER = "system/*.rs system/Task.u"
DECLINE_REASON = "urn:relais:decline-reason"


def task_of(caller, referral):
    response = caller.get(f"/fhir/Task/referral-{referral.pk}")
    assert response.status_code == 200, response.content
    return response


def put(caller, task, headers=None, **changes):
    """PUT the Task at its address, with `changes` (the body's id may differ)."""
    return caller.put(f"/fhir/Task/{task['id']}", json.dumps({**task, **changes}),
                      content_type="application/fhir+json", **(headers or {}))


def _outcome(response, status, code):
    assert response.status_code == status, response.content
    outcome = response.json()
    construct_fhir_element("OperationOutcome", outcome)
    assert outcome["issue"][0]["code"] == code, outcome
    return outcome["issue"][0]["diagnostics"]


def _unchanged(referral):
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.status, fresh.version) == (ReferralStatus.SENT, referral.version)
    assert not AuditEvent.objects.filter(action__startswith="referral.").exclude(
        action="referral.send").exists()


@pytest.fixture
def receiver(api, world):
    return api(world.coordination_centre, allowed=WRITER)


def test_the_receiver_accepts_with_the_version_it_holds(receiver, referral, liaison_nurse,
                                                        world, coordinator):
    # she agreed to share with hospitals: the sending nurse reads her, and so is told
    services.record_consent(referral.person, scope=ConsentScope.HOSPITALS, given_by="her",
                            given_on=date(2026, 1, 5), actor=coordinator)
    held = task_of(receiver, referral)

    response = put(receiver, held.json(), {"HTTP_IF_MATCH": held["ETag"]}, status="accepted")

    assert response.status_code == 200, response.content
    task = response.json()
    construct_fhir_element("Task", task)
    assert task["status"] == "accepted"
    assert response["ETag"] != held["ETag"]
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.status, fresh.answered_by) == (ReferralStatus.ACCEPTED,
                                                receiver.system.account)
    assert ReferralEvent.objects.filter(referral=referral, status="accepted").count() == 1
    event = AuditEvent.objects.get(action="referral.accepted")
    assert (event.actor, event.person_id) == (receiver.system.account, referral.person_id)
    assert Notification.objects.filter(recipient=liaison_nurse,
                                       kind="referral.accepted").count() == 1
    assert NetworkMember.objects.active().filter(
        person=referral.person_id, organisation=world.coordination_centre).exists()


def test_the_receiver_declines_with_a_reason(receiver, referral):
    task = task_of(receiver, referral).json()

    response = put(receiver, task, status="rejected", note=[{"text": "Full until March"}],
                   statusReason={"coding": [{"system": DECLINE_REASON,
                                             "code": "no_capacity"}]})

    assert response.status_code == 200, response.content
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.status, fresh.decline_reason, fresh.decline_note) == (
        ReferralStatus.DECLINED, "no_capacity", "Full until March")
    assert response.json()["statusReason"]["coding"][0]["code"] == "no_capacity"


def test_a_decline_without_a_reason_changes_nothing(receiver, referral):
    task = task_of(receiver, referral).json()

    response = put(receiver, task, status="rejected")

    assert _outcome(response, 422, "business-rule") == (
        "Say why you decline: it helps the sender find another service.")
    _unchanged(referral)


def test_a_transition_that_is_not_allowed_is_a_409_and_changes_nothing(receiver, referral):
    task = task_of(receiver, referral).json()

    response = put(receiver, task, status="completed")

    assert _outcome(response, 409, "conflict") == (
        "A referral that is “Sent” cannot become “Completed”.")
    _unchanged(referral)


def test_the_same_status_again_changes_nothing(receiver, referral):
    task = task_of(receiver, referral).json()

    again = put(receiver, task)

    assert again.status_code == 200
    _unchanged(referral)


def test_accept_start_complete(receiver, referral):
    for status in ("accepted", "in-progress", "completed"):
        response = put(receiver, task_of(receiver, referral).json(), status=status)
        assert response.status_code == 200, response.content

    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.COMPLETED


def test_the_sender_cancels_but_does_not_answer(api, world, referral):
    sender = api(world.hospital, allowed=WRITER)
    task = task_of(sender, referral).json()
    denied = AuditEvent.objects.filter(outcome="denied").count()

    answered = put(sender, task, status="accepted")
    assert "Only the receiving organisation answers" in _outcome(answered, 403, "forbidden")
    _unchanged(referral)
    assert AuditEvent.objects.filter(outcome="denied").count() == denied + 1

    cancelled = put(sender, task, status="cancelled")
    assert cancelled.status_code == 200, cancelled.content
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CANCELLED


@pytest.mark.parametrize("who", ["unrelated", "excluded"])
def test_a_client_that_does_not_read_the_referral_gets_a_404(who, api, world, referral,
                                                             excluded_organisation):
    organisation = world.care_zone_team if who == "unrelated" else excluded_organisation
    caller = api(organisation, allowed=WRITER)
    task = task_of(api(world.coordination_centre), referral).json()

    response = put(caller, task, status="cancelled")

    _outcome(response, 404, "not-found")
    _unchanged(referral)


def test_a_token_without_the_update_scope_changes_nothing(api, world, referral):
    caller = api(world.coordination_centre)  # system/*.rs
    task = task_of(caller, referral).json()

    response = put(caller, task, status="accepted")

    assert response.status_code == 403
    _unchanged(referral)


def test_a_stale_version_is_a_412(receiver, referral):
    held = task_of(receiver, referral)
    stale = held["ETag"]
    Referral.objects.filter(pk=referral.pk).update(version=referral.version + 1)

    response = put(receiver, held.json(), {"HTTP_IF_MATCH": stale}, status="accepted")

    _outcome(response, 412, "conflict")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


@pytest.mark.parametrize("change, status, code", [
    ({"owner": {"reference": "Organization/999999"}}, 422, "business-rule"),
    ({"for": {"reference": "Patient/999999"}}, 422, "business-rule"),
    ({"status": "draft"}, 422, "business-rule"),
    ({"status": "bogus"}, 400, "invalid"),
    ({"colour": "blue"}, 400, "structure"),
    ({"status": "rejected", "statusReason": {"coding": [{"system": DECLINE_REASON,
                                                         "code": "bored"}]}}, 400, "invalid"),
    ({"id": "referral-999999"}, 400, "invalid"),
])
def test_bad_input_is_an_outcome_and_changes_nothing(change, status, code, receiver,
                                                     referral):
    task = task_of(receiver, referral).json()

    _outcome(put(receiver, task, **change), status, code)

    _unchanged(referral)


def test_a_follow_up_contact_is_not_updated_here(api, world, followup):
    contact = Contact.objects.filter(followup=followup).first()
    caller = api(followup.person.owner_organisation, allowed=WRITER)
    task = caller.get(f"/fhir/Task/contact-{contact.pk}").json()

    response = put(caller, task, status="completed")

    assert "only a referral's Task" in _outcome(response, 422, "business-rule")
    assert Contact.objects.get(pk=contact.pk).status == contact.status


def test_the_capability_statement_says_task_is_updated(client):
    served = {r["type"]: r for r in client.get("/fhir/metadata").json()["rest"][0]["resource"]}

    assert [i["code"] for i in served["Task"]["interaction"]] == ["read", "search-type",
                                                                 "vread", "history-instance",
                                                                 "update"]
    assert served["Task"]["versioning"] == "versioned-update"
