"""Through the ADT feed: A01 then A03 for a person starts the follow-up, its contacts owned
by the GP (the relay when nobody at the hospital owns the plan)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from relais.access.models import ConsentScope
from relais.audit.models import AuditEvent
from relais.followup import escalation, work
from relais.followup.models import (
    CancelReason,
    Channel,
    Contact,
    ContactStatus,
    Escalation,
    FollowUp,
)
from relais.interop import adt
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from relais.notifications.models import Notification
from relais.stays import services as stays
from tests.conftest import login_as
from tests.relais.interop.test_adt import admitted_person, adt_message, connect_hospital, msa

BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 12, 14, 9, 0, tzinfo=BRUSSELS),
                             tick=False) as traveller:
        yield traveller


@pytest.fixture
def person(world, liaison_nurse, gp):
    connect_hospital(world)
    person = admitted_person(world, liaison_nurse)
    network_services.record_consent(person, scope=ConsentScope.NETWORK, given_by="herself",
                                    given_on=date(2026, 11, 1), actor=liaison_nurse)
    network_services.add_member(person, kind=MemberKind.PROFESSIONAL, user=gp,
                                roles=[Role.GP], actor=liaison_nurse)
    return person


def admit_and_discharge(clock):
    adt.deliver(adt_message("A01", admitted="20261214083000", event_time="20261214083500"))
    clock.move_to(datetime(2026, 12, 18, 14, 5, tzinfo=BRUSSELS))
    return adt.deliver(adt_message("A03", control_id="MSG0002", admitted="20261214083000",
                                  discharged="20261218140000", event_time="20261218140500",
                                  disposition="01"))


def test_a01_then_a03_starts_the_followup_owned_by_the_gp(person, clock, gp, world):
    answer = admit_and_discharge(clock)

    assert msa(answer)[0] == "AA"
    followup = FollowUp.objects.get(person=person)
    assert (followup.stay.hospital, followup.started_on) == (world.hospital, date(2026, 12, 18))
    planned = list(followup.contacts.order_by("due_on"))
    assert [(c.due_on, c.channel, c.owner, c.status) for c in planned] == [
        (date(2026, 12, 22), Channel.PHONE, gp, ContactStatus.PLANNED),
        (date(2026, 12, 25), Channel.VISIT, gp, ContactStatus.PLANNED),
        (date(2027, 1, 17), Channel.PHONE, gp, ContactStatus.PLANNED)]


def test_the_gp_finds_it_on_the_persons_page(person, clock, gp):
    admit_and_discharge(clock)
    contact = FollowUp.objects.get(person=person).contacts.order_by("due_on").first()

    page = login_as(_client(), gp).get(reverse("network:person_detail", args=[person.pk]))

    assert reverse("followup:contact_record", args=[contact.pk]) in page.content.decode()


def cancel_the_discharge(clock):
    clock.move_to(datetime(2026, 12, 18, 15, 5, tzinfo=BRUSSELS))
    return adt.deliver(adt_message("A13", control_id="MSG0003", event_time="20261218150000"))


def discharge_again(clock, *, day=21):
    clock.move_to(datetime(2026, 12, day, 16, 5, tzinfo=BRUSSELS))
    return adt.deliver(adt_message("A03", control_id="MSG0004", admitted="20261214083000",
                                  discharged=f"202612{day}160000",
                                  event_time=f"202612{day}160500", disposition="01"))


def test_a_repeated_discharge_keeps_one_followup(person, clock):
    admit_and_discharge(clock)
    adt.deliver(adt_message("A03", control_id="MSG0003", admitted="20261214083000",
                           discharged="20261218140000", event_time="20261218150000",
                           disposition="01"))

    followup = FollowUp.objects.get(person=person)
    assert followup.contacts.count() == 3


def test_a01_a03_a13_leaves_no_planned_contact_then_a03_plans_again(person, clock, gp):
    admit_and_discharge(clock)
    first = set(FollowUp.objects.get(person=person).contacts.values_list("pk", flat=True))

    assert msa(cancel_the_discharge(clock))[0] == "AA"

    followup = FollowUp.objects.get(person=person)
    assert followup.closed_at == timezone.now()
    assert list(followup.contacts.values_list("pk", "status", "cancel_reason")) == [
        (pk, ContactStatus.CANCELLED, CancelReason.DISCHARGE_CANCELLED) for pk in sorted(first)]
    assert work.items_for(gp, audit_as=None).items == []
    event = AuditEvent.objects.get(action="followup.cancel")
    assert (event.target_id, event.detail["contacts"]) == (str(followup.pk), sorted(first))

    assert msa(discharge_again(clock))[0] == "AA"

    followup = FollowUp.objects.get(person=person)  # still one: OneToOne with the stay
    assert (followup.closed_at, followup.started_on) == (None, date(2026, 12, 21))
    planned = followup.contacts.filter(status=ContactStatus.PLANNED).order_by("due_on")
    assert [(c.due_on, c.owner) for c in planned] == [
        (date(2026, 12, 23), gp), (date(2026, 12, 28), gp), (date(2027, 1, 20), gp)]
    assert followup.contacts.filter(status=ContactStatus.CANCELLED).count() == 3
    assert [i.pk for i in work.items_for(gp, audit_as=None).items] == [c.pk for c in planned]
    assert AuditEvent.objects.filter(action="followup.restart",
                                     target_id=str(followup.pk)).count() == 1


def test_cancelled_contacts_never_escalate(person, clock, gp):
    admit_and_discharge(clock)
    cancel_the_discharge(clock)

    assert escalation.escalate_overdue(datetime(2027, 2, 1, 9, 0, tzinfo=BRUSSELS)) == 0
    assert not Escalation.objects.exists()
    assert not Notification.objects.filter(kind__startswith="followup.contact").exists()


def test_the_gp_sees_why_the_contacts_were_cancelled(person, clock, gp):
    admit_and_discharge(clock)
    cancel_the_discharge(clock)
    followup = FollowUp.objects.get(person=person)

    for language, text in (("en", "Cancelled: the discharge was cancelled"),
                           ("nl", "Geannuleerd: het ontslag werd geannuleerd"),
                           ("fr", "Annulé : la sortie a été annulée")):
        gp.language = language
        gp.save(update_fields=["language"])
        page = login_as(Client(HTTP_ACCEPT_LANGUAGE=language), gp).get(
            reverse("followup:followup_detail", args=[followup.pk]))
        assert page.content.decode().count(text) == 3, language
        if language == "en":
            assert "This follow-up was closed on 18/12/2026." in page.content.decode()
        assert reverse("followup:contact_record", args=[
            followup.contacts.first().pk]) not in page.content.decode()


def test_a_cancelled_discharge_by_hand_cancels_the_followup_too(person, clock, liaison_nurse):
    admit_and_discharge(clock)
    stay = FollowUp.objects.get(person=person).stay

    stays.cancel_discharge(stay, actor=liaison_nurse)

    assert not Contact.objects.filter(followup__stay=stay,
                                      status=ContactStatus.PLANNED).exists()
    event = AuditEvent.objects.get(action="followup.cancel")
    assert event.actor_id == liaison_nurse.pk


def test_a_refused_cancellation_cancels_nothing(person, clock, liaison_nurse, world):
    """Another stay open in the same hospital: the stays service refuses, and the
    follow-up's cancellation, in the same transaction, is undone with it."""
    admit_and_discharge(clock)
    followup = FollowUp.objects.get(person=person)
    stays.open_stay(person, hospital=world.hospital, actor=liaison_nurse)

    with pytest.raises(ValidationError):
        stays.cancel_discharge(followup.stay, actor=liaison_nurse)

    assert followup.contacts.filter(status=ContactStatus.PLANNED).count() == 3


def _client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_without_an_owner_the_hospital_keeping_the_record_sees_it(world, liaison_nurse, clock):
    connect_hospital(world)
    person = admitted_person(world, liaison_nurse)  # no network, no consent to share
    admit_and_discharge(clock)

    followup = FollowUp.objects.get(person=person)
    assert {(c.owner, c.owner_organisation) for c in followup.contacts.all()} == {(None, None)}
    page = login_as(Client(HTTP_ACCEPT_LANGUAGE="en"), liaison_nurse).get(
        reverse("followup:followup_detail", args=[followup.pk]))
    assert page.content.decode().count("No owner: the hospital should choose one") == 3


def test_the_liaison_nurse_cancels_the_discharge_from_the_stay_page(person, clock,
                                                                    liaison_nurse):
    admit_and_discharge(clock)
    stay = FollowUp.objects.get(person=person).stay
    client = login_as(_client(), liaison_nurse)
    page = client.get(reverse("stays:stay_detail", args=[stay.pk])).content.decode()
    url = reverse("stays:cancel_discharge", args=[stay.pk])
    assert url in page

    answer = client.post(url)

    assert answer.url == reverse("stays:stay_detail", args=[stay.pk])
    stay.refresh_from_db()
    assert stay.discharged_at is None
    assert not Contact.objects.filter(followup__stay=stay,
                                      status=ContactStatus.PLANNED).exists()
    assert AuditEvent.objects.get(action="followup.cancel").actor_id == liaison_nurse.pk
    assert client.post(url).status_code == 404  # open again: nothing to cancel


@pytest.mark.parametrize("persona", ["gp", "outsider", "coordinator"])
def test_only_the_hospitals_staff_cancel_a_discharge(person, clock, persona, request):
    admit_and_discharge(clock)
    stay = FollowUp.objects.get(person=person).stay
    client = login_as(_client(), request.getfixturevalue(persona))

    assert client.post(reverse("stays:cancel_discharge", args=[stay.pk])).status_code == 404
    stay.refresh_from_db()
    assert stay.discharged_at is not None
    assert Contact.objects.filter(followup__stay=stay,
                                  status=ContactStatus.PLANNED).count() == 3
