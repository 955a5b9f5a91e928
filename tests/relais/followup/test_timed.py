"""Timed work of the follow-up (issue 13): overdue contacts climb owner → the owner's
coordinators → the care-zone team, each once; due watch check-ins remind their owner
once per date; two workers at once never tell twice."""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from relais.accounts.models import Function
from relais.audit.models import AuditEvent
from relais.followup import escalation, reminders
from relais.followup.models import (
    Channel,
    Contact,
    ContactStatus,
    Escalation,
    EscalationLevel,
    FollowUp,
    Protocol,
    ProtocolStep,
    Watch,
)
from relais.followup.notices_timed import (
    CONTACT_ESCALATED,
    CONTACT_ESCALATED_UNNAMED,
    CONTACT_OVERDUE,
    WATCH_DUE,
)
from relais.notifications.models import EmailDelivery, Notification
from relais.stays.models import Stay
from tests.factories import MembershipFactory, UserFactory, brussels_municipality
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = date(2026, 12, 7)


def at(day: int, hour: int = 9) -> datetime:
    """A moment in December 2026, Brussels time (the 7th is a Monday)."""
    return datetime(2026, 12, day, hour, tzinfo=BRUSSELS)


@pytest.fixture
def step(db):
    protocol = Protocol.objects.create(family="default", name="After discharge")
    return ProtocolStep.objects.create(protocol=protocol, day=2, channel=Channel.PHONE,
                                       escalate_to_coordinators_after_days=1,
                                       escalate_to_care_zone_after_days=3)


@pytest.fixture
def nursing_manager(world):
    user = UserFactory(email="nursing-manager@test.relais.example")
    MembershipFactory(user=user, organisation=world.home_nursing, function=Function.MANAGER,
                      is_manager=True)
    return user


@pytest.fixture
def in_the_zone(madeleine):
    """Madeleine lives in Woluwe-Saint-Lambert, where the test care-zone team works."""
    madeleine.municipality = brussels_municipality("21018")
    madeleine.postcode = "1200"
    madeleine.save()
    return madeleine


def contact_for(person, step, owner, organisation, due_on=MONDAY, **fields) -> Contact:
    followup = FollowUp.objects.create(person=person, protocol=step.protocol,
                                       started_on=date(2026, 12, 5))
    return Contact.objects.create(followup=followup, step=step, channel=Channel.PHONE,
                                  owner=owner, owner_organisation=organisation,
                                  due_on=due_on, **fields)


def run_on(day: int, hour: int = 9) -> int:
    with time_machine.travel(at(day, hour), tick=False):
        return escalation.escalate_overdue(timezone.now())


def timed():
    """What the timed work told (the fixtures' network changes tell things too)."""
    return Notification.objects.filter(kind__in=[CONTACT_OVERDUE, CONTACT_ESCALATED,
                                                 CONTACT_ESCALATED_UNNAMED, WATCH_DUE])


def in_english(notice: Notification) -> str:
    with translation.override("en"):
        return notice.sentence


def told(kind: str, user=None) -> list[Notification]:
    found = Notification.objects.filter(kind=kind)
    return list(found.filter(recipient=user) if user is not None else found)


@pytest.fixture
def overdue(in_the_zone, step, home_nurse, world, nursing_manager):
    return contact_for(in_the_zone, step, home_nurse, world.home_nursing)


def test_on_the_due_day_nobody_is_told(overdue):
    assert run_on(7, hour=23) == 0
    assert not timed().exists() and not Escalation.objects.exists()


def test_the_day_after_the_owner_is_told_once(overdue, home_nurse, nursing_manager):
    assert run_on(8, hour=0) == 1  # midnight in Brussels: already Tuesday
    assert run_on(8, hour=18) == 0
    (notice,) = told(CONTACT_OVERDUE)
    assert notice.recipient == home_nurse
    assert (notice.person, notice.target_type, notice.target_id) == (
        overdue.followup.person, "followup.contact", overdue.pk)
    assert in_english(notice) == ("A follow-up contact for Madeleine Lambert is overdue: "
                                  "record how it went or plan it again.")
    with translation.override("fr"):
        assert notice.sentence.startswith("Un contact de suivi pour Madeleine Lambert est en")
    assert not told(CONTACT_ESCALATED)
    assert list(Escalation.objects.values_list("level", flat=True)) == [EscalationLevel.OWNER]
    (event,) = AuditEvent.objects.filter(action="followup.escalate")
    assert (event.target_id, event.person_id, event.actor) == (
        str(overdue.pk), overdue.followup.person_id, None)
    assert event.detail == {"level": 0, "told": [home_nurse.pk]}
    # Emailed as the owner chose (immediately by default), without any detail.
    assert EmailDelivery.objects.filter(recipient=home_nurse, kind=CONTACT_OVERDUE).count() == 1


def test_then_the_coordinators_then_the_care_zone_team_each_once(overdue, home_nurse,
                                                                 nursing_manager, analyst):
    run_on(8)
    assert run_on(9) == 1  # overdue for more than a day: the owner's organisation's managers
    (escalated,) = told(CONTACT_ESCALATED)
    assert escalated.recipient == nursing_manager and escalated.person == overdue.followup.person
    assert home_nurse.get_full_name() in in_english(escalated)
    assert run_on(10) == 0
    assert run_on(11) == 1  # overdue for more than 3 days: the care-zone team
    assert run_on(11, hour=20) == 0 and run_on(15) == 0

    # The team does not follow Madeleine: told which organisation, not who.
    (unnamed,) = told(CONTACT_ESCALATED_UNNAMED)
    assert unnamed.recipient == analyst and unnamed.person is None
    assert "Home Nursing Test" in in_english(unnamed) and "Madeleine" not in in_english(unnamed)
    assert [n.recipient for n in told(CONTACT_OVERDUE)] == [home_nurse]
    assert len(told(CONTACT_ESCALATED)) == 1
    assert sorted(Escalation.objects.values_list("level", flat=True)) == [0, 1, 2]
    assert [e.detail for e in AuditEvent.objects.filter(action="followup.escalate")
            .order_by("pk")] == [{"level": 0, "told": [home_nurse.pk]},
                                 {"level": 1, "told": [nursing_manager.pk]},
                                 {"level": 2, "told": [analyst.pk]}]


def test_a_worker_down_for_a_week_takes_every_step_at_once(overdue, nursing_manager, analyst):
    assert run_on(15) == 3
    assert run_on(15) == 0


@pytest.mark.parametrize("status", [ContactStatus.REACHED, ContactStatus.NOT_REACHED,
                                    ContactStatus.PROBLEM, ContactStatus.CANCELLED])
def test_a_contact_that_is_done_never_escalates(overdue, status):
    Contact.objects.filter(pk=overdue.pk).update(status=status)
    assert run_on(15) == 0
    assert not timed().exists() and not Escalation.objects.exists()


def test_done_in_between_stops_the_climb(overdue, nursing_manager):
    run_on(8)
    Contact.objects.filter(pk=overdue.pk).update(status=ContactStatus.REACHED)
    assert run_on(15) == 0
    assert [n.kind for n in timed()] == [CONTACT_OVERDUE]


def test_a_person_back_in_hospital_or_a_closed_followup_does_not_climb(overdue, world):
    stay = Stay.objects.create(person=overdue.followup.person, hospital=world.hospital,
                               admitted_at=at(7, 20))
    assert run_on(15) == 0
    Stay.objects.filter(pk=stay.pk).update(discharged_at=at(15, 8))
    FollowUp.objects.filter(pk=overdue.followup_id).update(closed_at=at(15, 8))
    assert run_on(15) == 0
    assert not timed().exists()
    FollowUp.objects.filter(pk=overdue.followup_id).update(closed_at=None)
    assert run_on(15) == 3  # home again, follow-up open: every step due is taken


def test_the_owner_is_not_told_twice_as_their_own_coordinator(in_the_zone, step, gp, world):
    """A self-employed GP manages their own practice: told as the owner only."""
    contact_for(in_the_zone, step, gp, world.gp_practice)
    run_on(9)
    assert [n.kind for n in told(CONTACT_OVERDUE, gp)] == [CONTACT_OVERDUE]
    assert not told(CONTACT_ESCALATED) and not told(CONTACT_ESCALATED_UNNAMED, gp)


def test_an_owner_who_may_no_longer_see_the_person_is_not_told(in_the_zone, step,
                                                               excluded_pro, world):
    contact_for(in_the_zone, step, excluded_pro, world.home_nursing)
    assert run_on(8) == 1  # the step is taken, once
    assert not timed().exists()
    assert run_on(8) == 0


def test_the_delays_are_the_protocol_steps(overdue, step, nursing_manager):
    ProtocolStep.objects.filter(pk=step.pk).update(escalate_to_coordinators_after_days=4)
    run_on(11)
    assert not told(CONTACT_ESCALATED)
    run_on(12)
    assert len(told(CONTACT_ESCALATED)) == 1


def test_many_contacts_in_chunks(in_the_zone, step, home_nurse, world, monkeypatch):
    monkeypatch.setattr(escalation, "CHUNK", 3)
    for _ in range(7):
        contact_for(in_the_zone, step, home_nurse, world.home_nursing)
    assert run_on(8) == 7
    assert len(told(CONTACT_OVERDUE, home_nurse)) == 7


def queries_to_run_on(day: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        run_on(day)
    return len(queries)


@pytest.mark.parametrize("contacts", [2, 8])
def test_the_queries_do_not_grow_with_the_contacts(in_the_zone, step, home_nurse, gp, world,
                                                   nursing_manager, analyst, contacts):
    """Each chunk asks the gate once per recipient (`notify_many`), not per contact."""
    for n in range(contacts):
        contact_for(in_the_zone, step, home_nurse if n % 2 else gp, world.home_nursing)
    assert queries_to_run_on(8) == OWNER_DAY_QUERIES
    assert queries_to_run_on(15) == EVERY_LEVEL_QUERIES
    assert Escalation.objects.count() == 3 * contacts


# Per level and chunk: its keys, its rows, the escalations, the gate per recipient, the
# choices, the notifications, the emails, the audit events (one INSERT, no lock, no read
# of a chain head); SQLite's savepoints included.
OWNER_DAY_QUERIES = 36
EVERY_LEVEL_QUERIES = 47


# --- two workers at once -----------------------------------------------------------------


def race(job, callers: int = 2) -> list:
    """Run `job` from `callers` threads released together; returns what each returned."""
    start = threading.Barrier(callers)
    results, errors = [], []

    def one():
        try:
            start.wait(timeout=10)
            results.append(job())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite runs one writing transaction at a time: nothing to race")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_tell_each_owner_once(in_the_zone, step, home_nurse, world,
                                                  nursing_manager, analyst, monkeypatch):
    monkeypatch.setattr(escalation, "CHUNK", 7)  # several chunks to share
    contacts = [contact_for(in_the_zone, step, home_nurse, world.home_nursing)
                for _ in range(60)]
    with time_machine.travel(at(15), tick=False):
        results = race(lambda: escalation.escalate_overdue(timezone.now()))
    assert sum(results) == 3 * len(contacts)
    assert Escalation.objects.count() == 3 * len(contacts)
    assert len(told(CONTACT_OVERDUE, home_nurse)) == len(contacts)
    assert len(told(CONTACT_ESCALATED, nursing_manager)) == len(contacts)
    assert len(told(CONTACT_ESCALATED_UNNAMED, analyst)) == len(contacts)
    pairs = list(timed().exclude(kind=CONTACT_ESCALATED_UNNAMED)
                 .values_list("recipient", "kind", "target_id"))
    assert len(pairs) == len(set(pairs))  # no duplicate anywhere


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite runs one writing transaction at a time: nothing to race")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_remind_each_watch_once(in_the_zone, home_nurse, monkeypatch):
    monkeypatch.setattr(reminders, "CHUNK", 7)
    for _ in range(40):
        watch_of(in_the_zone, home_nurse, due_on=MONDAY)
    with time_machine.travel(at(8), tick=False):
        results = race(lambda: reminders.remind_due_watches(timezone.now()))
    assert sum(results) == 40
    assert Notification.objects.filter(kind=WATCH_DUE).count() == 40


# --- watch reminders ---------------------------------------------------------------------


def watch_of(person, owner, *, due_on, **fields) -> Watch:
    return Watch.objects.create(person=person, owner=owner, next_check_on=due_on,
                                started_on=date(2026, 11, 1), **fields)


def remind_on(day: int, hour: int = 9) -> int:
    with time_machine.travel(at(day, hour), tick=False):
        return reminders.remind_due_watches(timezone.now())


def test_a_due_watch_reminds_its_owner_once_per_due_date(in_the_zone, home_nurse):
    watch = watch_of(in_the_zone, home_nurse, due_on=MONDAY)
    assert remind_on(6) == 0  # not yet due
    assert remind_on(7) == 1
    assert remind_on(7, hour=18) == 0 and remind_on(9) == 0
    (notice,) = told(WATCH_DUE)
    assert (notice.recipient, notice.target_id, notice.params) == (
        home_nurse, watch.pk, {"due_on": "2026-12-07"})
    assert "A check-in is due for Madeleine Lambert" in in_english(notice)
    (event,) = AuditEvent.objects.filter(action="followup.watch.remind")
    assert event.detail == {"due_on": "2026-12-07", "told": [home_nurse.pk]}

    # Checked in: the next date is in two weeks, and is told once in its turn.
    Watch.objects.filter(pk=watch.pk).update(next_check_on=date(2026, 12, 21))
    assert remind_on(20) == 0
    assert remind_on(21) == 1 and remind_on(22) == 0
    assert len(told(WATCH_DUE, home_nurse)) == 2


def test_an_ended_watch_reminds_nobody(in_the_zone, home_nurse):
    watch_of(in_the_zone, home_nurse, due_on=MONDAY, ended_at=at(1), end_reason="Moved")
    assert remind_on(8) == 0
    assert not timed().exists()


def test_an_owner_who_may_not_see_the_person_is_not_reminded(in_the_zone, excluded_pro):
    watch_of(in_the_zone, excluded_pro, due_on=MONDAY)
    assert remind_on(8) == 0
    assert not timed().exists()
