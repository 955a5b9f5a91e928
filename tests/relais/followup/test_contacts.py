"""Follow-up after discharge: protocols, due dates in Belgian working days, owners from the
network, recording contacts (not reached → next attempt → coordinators told), reassigning,
and who may do what. Madeleine (tests/relais/network/conftest.py) goes home from the test
hospital under a frozen clock."""

from datetime import date, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.access.models import ConsentScope
from relais.audit.models import AuditEvent
from relais.booklet.models import Entry, EntryKind
from relais.core.models import CareZone
from relais.followup import contacts, protocols
from relais.followup.models import (
    Channel,
    Contact,
    ContactStatus,
    FollowUp,
    OwnerRole,
    Protocol,
)
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from relais.notifications.models import Notification
from relais.stays import services as stays
from relais.stays.models import Screening
from tests.conftest import login_as
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=BRUSSELS)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(at(2026, 12, 14, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def stay(madeleine, world, liaison_nurse, coordinator):
    network_services.record_consent(madeleine, scope=ConsentScope.HOSPITALS,
                                    given_by="Madeleine Lambert", given_on=date(2026, 11, 1),
                                    actor=coordinator)
    return stays.open_stay(madeleine, hospital=world.hospital, ward=world.ward,
                           actor=liaison_nurse, admitted_at=at(2026, 12, 10, 8, 0))


def go_home(stay, clock, when, *, actor=None, **options):
    clock.move_to(when)
    options.setdefault("destination", "home")
    stays.discharge(stay, actor=actor, discharged_at=when, reason="test", **options)
    return FollowUp.objects.filter(stay=stay).first()


def due_dates(followup) -> list[date]:
    return [c.due_on for c in followup.contacts.order_by("due_on")]


@pytest.fixture
def coordination_member(madeleine, world, coordinator):
    return network_services.add_member(
        madeleine, kind=MemberKind.ORGANISATION, organisation=world.coordination_centre,
        roles=[Role.COORDINATION_CENTRE], actor=coordinator)


# --- due dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "expected"), [
    (date(2026, 12, 18), date(2026, 12, 22)),  # Friday → Tuesday: the weekend skipped
    (date(2026, 12, 23), date(2026, 12, 28)),  # Christmas Friday skipped
    (date(2026, 12, 30), date(2027, 1, 4)),    # New Year's Day skipped
])
def test_two_working_days_skip_weekends_and_belgian_holidays(start, expected):
    assert protocols.add_days(start, 2, business_days=True) == expected


def test_calendar_days_count_every_day():
    assert protocols.add_days(date(2026, 12, 18), 7, business_days=False) == date(2026, 12, 25)


# --- starting ----------------------------------------------------------------------------


def test_a_discharge_home_on_friday_plans_the_default_protocol(stay, clock, gp, world):
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))

    assert followup.protocol.family == protocols.DEFAULT_FAMILY
    assert followup.started_on == date(2026, 12, 18)
    planned = list(followup.contacts.order_by("due_on"))
    assert [(c.due_on, c.channel) for c in planned] == [
        (date(2026, 12, 22), Channel.PHONE), (date(2026, 12, 25), Channel.VISIT),
        (date(2027, 1, 17), Channel.PHONE)]
    # No plan owner at the hospital: the GP is the relay; the home nursing service visits.
    assert [(c.owner, c.owner_organisation) for c in planned] == [
        (gp, world.gp_practice), (None, world.home_nursing), (gp, world.gp_practice)]
    assert {c.status for c in planned} == {ContactStatus.PLANNED}
    assert AuditEvent.objects.filter(action="followup.start", person_id=stay.person_id).exists()


def test_christmas_and_new_year_are_not_working_days(stay, clock, madeleine, world,
                                                     liaison_nurse):
    followup = go_home(stay, clock, at(2026, 12, 23, 11, 0))
    assert due_dates(followup)[0] == date(2026, 12, 28)

    second = stays.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse,
                             admitted_at=at(2026, 12, 29, 8, 0))
    followup = go_home(second, clock, at(2026, 12, 30, 17, 0))
    assert due_dates(followup)[0] == date(2027, 1, 4)


def test_a_sooner_first_contact_asked_at_discharge_wins(stay, clock):
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0), followup_within_days=1)
    assert due_dates(followup)[0] == date(2026, 12, 21)


def test_the_plan_owner_at_the_hospital_is_the_relay(stay, clock, liaison_nurse, world,
                                                     madeleine, coordinator):
    # The liaison nurse stays in Madeleine's network after she goes home.
    network_services.add_member(madeleine, kind=MemberKind.PROFESSIONAL, user=liaison_nurse,
                                roles=[Role.OTHER], actor=coordinator)
    stay.plan_items.update(owner=liaison_nurse)
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    first = followup.contacts.order_by("due_on").first()
    assert (first.owner, first.owner_organisation) == (liaison_nurse, world.hospital)


def test_a_plan_owner_who_no_longer_sees_the_person_is_passed_over(stay, clock, gp,
                                                                   liaison_nurse):
    # Hospital staff see a person while they stay: after discharge the GP is the relay.
    stay.plan_items.update(owner=liaison_nurse)
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    assert followup.contacts.order_by("due_on").first().owner == gp


def test_without_a_gp_the_coordination_centre_owns(stay, clock, member_of, gp, world,
                                                   coordinator, coordination_member):
    network_services.end_member(member_of(user=gp), actor=coordinator)
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    first = followup.contacts.order_by("due_on").first()
    assert (first.owner, first.owner_organisation) == (None, world.coordination_centre)


def test_an_excluded_gp_never_owns(stay, clock, member_of, gp, world, coordinator,
                                   coordination_member):
    network_services.exclude_member(member_of(user=gp), actor=coordinator)
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    owners = {c.owner for c in followup.contacts.all()}
    assert gp not in owners
    assert followup.contacts.order_by("due_on").first().owner_organisation == \
        world.coordination_centre


def test_without_network_consent_nobody_owns_and_it_shows(stay, clock, madeleine,
                                                         coordinator):
    network_services.revoke_consent(madeleine.consents.get(scope=ConsentScope.NETWORK),
                                    actor=coordinator)
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    assert {(c.owner, c.owner_organisation) for c in followup.contacts.all()} == {(None, None)}

    # The coordination centre keeps her record: it sees the follow-up has no owner.
    page = login_as(_client(), coordinator).get(reverse("followup:followup_detail",
                                                          args=[followup.pk]))
    assert "No owner: the hospital should choose one" in page.content.decode()


@pytest.mark.parametrize("destination", ["nursing_home", "other_hospital", "deceased"])
def test_no_followup_for_those_who_do_not_go_home(stay, clock, destination):
    assert go_home(stay, clock, at(2026, 12, 18, 15, 0), destination=destination) is None


def test_one_followup_per_stay(stay, clock):
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    assert contacts.start_followup(stay) == followup
    assert FollowUp.objects.filter(stay=stay).count() == 1
    assert Contact.objects.filter(followup=followup).count() == 3


def test_ensure_default_protocol_is_idempotent(db):
    first = protocols.ensure_default_protocol()
    assert protocols.ensure_default_protocol() == first
    assert Protocol.objects.filter(family=protocols.DEFAULT_FAMILY).count() == 1
    assert [(s.day, s.business_days, s.owner_role) for s in first.steps.all()] == [
        (2, True, OwnerRole.RELAY), (7, False, OwnerRole.HOME_NURSE),
        (30, False, OwnerRole.RELAY)]


# --- protocols ---------------------------------------------------------------------------


def test_the_hospitals_protocol_wins_and_a_new_version_leaves_running_ones(
        stay, clock, world, platform_admin):
    own = Protocol.objects.create(family="hospital-test", name="Ours",
                                  organisation=world.hospital, destination="home")
    own.steps.create(day=1, business_days=True, channel=Channel.PHONE)
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    assert followup.protocol == own
    assert due_dates(followup) == [date(2026, 12, 21)]

    successor = protocols.new_version(own, steps=[{"day": 3, "channel": Channel.VISIT}],
                                      actor=platform_admin)

    own.refresh_from_db()
    followup.refresh_from_db()
    assert own.retired_at is not None and successor.version == 2
    assert followup.protocol == own
    assert protocols.choose_protocol(stay) == successor
    with pytest.raises(ValidationError):
        protocols.new_version(own, steps=[{"day": 4, "channel": Channel.PHONE}],
                              actor=platform_admin)


def test_a_protocol_for_another_destination_does_not_apply(stay, clock, world):
    Protocol.objects.create(family="services", name="With services",
                            organisation=world.hospital, destination="home_services")
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    assert followup.protocol.family == protocols.DEFAULT_FAMILY


def test_protocol_pages(stay, clock, gp):
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    client = login_as(_client(), gp)
    listing = client.get(reverse("followup:protocol_list"))
    detail = client.get(reverse("followup:protocol_detail", args=[followup.protocol_id]))
    assert listing.status_code == detail.status_code == 200
    assert "Day 7" in detail.content.decode()


# --- recording ---------------------------------------------------------------------------


def _client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def record(client, contact, **data):
    data = {"outcome": "reached", "note": "", "happened_at": "2026-12-22T10:30",
            "alert": "", "next_step": "", "version": contact.version, **data}
    return client.post(reverse("followup:contact_record", args=[contact.pk]), data)


@pytest.fixture
def first_contact(stay, clock):
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    clock.move_to(at(2026, 12, 22, 11, 0))
    return followup.contacts.order_by("due_on").first()


def test_the_gp_records_a_contact_with_an_alert(first_contact, gp, madeleine):
    answer = record(login_as(_client(), gp), first_contact, outcome="problem",
                    note="Confused about the pills", alert="Medication mix-up at home")

    assert answer.status_code == 302
    first_contact.refresh_from_db()
    assert (first_contact.status, first_contact.note, first_contact.recorded_by) == (
        ContactStatus.PROBLEM, "Confused about the pills", gp)
    assert first_contact.happened_at == at(2026, 12, 22, 10, 30)
    alert = Entry.objects.get(person=madeleine, kind=EntryKind.ALERT)
    assert (alert.body, alert.audience) == ("Medication mix-up at home", "health")
    assert AuditEvent.objects.filter(action="followup.contact_record").count() == 1


def test_the_record_page_opens_and_a_watch_follows(first_contact, gp, madeleine):
    client = login_as(_client(), gp)
    assert client.get(reverse("followup:contact_record",
                              args=[first_contact.pk])).status_code == 200
    answer = record(client, first_contact, next_step="watch")
    assert answer["Location"] == f"/persons/{madeleine.pk}/watch/new/"


@pytest.mark.parametrize(("when", "message"), [
    ("2026-12-22T12:00", "A contact cannot be recorded in the future."),
    ("2026-12-18T14:00", "A contact cannot be before the discharge."),
])
def test_a_contact_in_the_future_or_before_discharge_is_refused(first_contact, gp, when,
                                                                message):
    answer = record(login_as(_client(), gp), first_contact, happened_at=when)

    assert answer.status_code == 200
    assert message in answer.content.decode()
    first_contact.refresh_from_db()
    assert first_contact.status == ContactStatus.PLANNED
    assert first_contact.followup.contacts.count() == 3


def test_the_refusal_is_in_the_readers_language(first_contact, gp):
    gp.language = "fr"
    gp.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    answer = record(login_as(client, gp), first_contact, happened_at="2026-12-22T12:00")
    assert "Un contact ne peut pas être enregistré dans le futur." in answer.content.decode()
    first_contact.refresh_from_db()
    assert first_contact.status == ContactStatus.PLANNED


def test_the_followup_page_reads_in_constant_queries(first_contact, gp):
    client = login_as(_client(), gp)
    url = reverse("followup:followup_detail", args=[first_contact.followup_id])
    client.get(url)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    for attempt in range(2, 6):
        Contact.objects.create(followup=first_contact.followup, channel=Channel.PHONE,
                               due_on=date(2026, 12, 23), attempt=attempt,
                               owner_organisation=first_contact.owner_organisation)
    with CaptureQueriesContext(connection) as seven:
        assert client.get(url).status_code == 200
    assert len(seven) == len(three)


def test_not_reached_plans_attempts_then_tells_the_coordinators(
        stay, clock, member_of, gp, coordinator, coordination_member, world):
    network_services.end_member(member_of(user=gp), actor=coordinator)
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    contact = followup.contacts.order_by("due_on").first()
    expected_next = [date(2026, 12, 23), date(2026, 12, 24)]

    for attempt, next_due in zip((1, 2), expected_next, strict=True):
        clock.move_to(datetime.combine(contact.due_on, datetime.min.time(), BRUSSELS)
                      .replace(hour=10))
        contacts.record_contact(contact, actor=coordinator, outcome="not_reached",
                                expected_version=contact.version)
        contact = followup.contacts.get(attempt=attempt + 1)
        assert (contact.due_on, contact.owner_organisation) == (
            next_due, world.coordination_centre)
    assert not Notification.objects.filter(kind="followup.not_reached").exists()

    clock.move_to(at(2026, 12, 24, 10, 0))
    contacts.record_contact(contact, actor=coordinator, outcome="not_reached",
                            expected_version=contact.version)

    assert not followup.contacts.filter(attempt=4).exists()
    told = Notification.objects.get(kind="followup.not_reached")
    assert (told.recipient, told.params) == (coordinator, {"attempts": 3})


def test_a_stale_version_is_refused(first_contact, gp):
    stale = first_contact.version
    contacts.record_contact(first_contact, actor=gp, outcome="reached",
                            expected_version=stale)
    again = Contact.objects.get(pk=first_contact.pk)
    with pytest.raises(ValidationError):
        contacts.record_contact(again, actor=gp, outcome="problem", expected_version=stale)
    assert Contact.objects.get(pk=first_contact.pk).status == ContactStatus.REACHED


# --- reassigning -------------------------------------------------------------------------


def test_reassign_to_the_home_nurse(first_contact, gp, home_nurse):
    client = login_as(_client(), gp)
    url = reverse("followup:contact_reassign", args=[first_contact.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"owner": home_nurse.pk, "version": first_contact.version})
    assert answer.status_code == 302
    first_contact.refresh_from_db()
    assert first_contact.owner == home_nurse


def test_an_owner_outside_the_network_is_refused(first_contact, gp, outsider, excluded_pro):
    for stranger in (outsider, excluded_pro):
        with pytest.raises(ValidationError) as refused:
            contacts.reassign(first_contact, actor=gp, owner=stranger,
                              expected_version=first_contact.version)
        assert refused.value.message_dict == {"owner": ["Choose someone in the person's "
                                                        "network."]}
    first_contact.refresh_from_db()
    assert first_contact.owner == gp
    answer = login_as(_client(), gp).post(
        reverse("followup:contact_reassign", args=[first_contact.pk]),
        {"owner": outsider.pk, "version": first_contact.version})
    assert answer.status_code == 200
    first_contact.refresh_from_db()
    assert first_contact.owner == gp


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "excluded_pro", "caregiver"])
def test_outsiders_and_excluded_members_get_404(first_contact, persona, request):
    client = login_as(_client(), request.getfixturevalue(persona))
    for url in (reverse("followup:contact_record", args=[first_contact.pk]),
                reverse("followup:contact_reassign", args=[first_contact.pk]),
                reverse("followup:followup_detail", args=[first_contact.followup_id])):
        assert client.get(url).status_code == 404
    assert record(client, first_contact).status_code == 404
    first_contact.refresh_from_db()
    assert first_contact.status == ContactStatus.PLANNED


def test_the_person_page_shows_the_followup(first_contact, gp, madeleine):
    page = login_as(_client(), gp).get(reverse("network:person_detail", args=[madeleine.pk]))
    content = page.content.decode()
    assert "Follow-up after discharge" in content
    assert reverse("followup:contact_record", args=[first_contact.pk]) in content
    assert "due today" in content


def test_the_care_zones_protocol_then_one_for_those_screened_at_risk(stay, clock, madeleine,
                                                                     liaison_nurse, world):
    zone = CareZone.objects.first()
    assert zone is not None
    madeleine.care_zone_override = zone
    madeleine.save(update_fields=["care_zone_override"])
    zones = Protocol.objects.create(family="zone", name="Zone", care_zone=zone)
    other_zone = Protocol.objects.create(family="elsewhere", name="Elsewhere",
                                         care_zone=CareZone.objects.exclude(pk=zone.pk).first())
    at_risk = Protocol.objects.create(family="at-risk", name="At risk",
                                      organisation=world.hospital, screening_result="at_risk")
    assert protocols.choose_protocol(stay) == zones
    assert other_zone != protocols.choose_protocol(stay)

    Screening.objects.create(person=madeleine, stay=stay, instrument="isar", band="high",
                             author=liaison_nurse, done_on=date(2026, 12, 11))

    assert protocols.choose_protocol(stay) == at_risk


def test_the_admin_shows_a_protocol_in_use_without_editable_steps(first_contact,
                                                                   platform_admin):
    client = login_as(_client(), platform_admin)
    protocol = first_contact.followup.protocol
    page = client.get(reverse("admin:followup_protocol_change", args=[protocol.pk]))
    assert page.status_code == 200
    assert 'name="steps-0-day"' not in page.content.decode()
    assert client.get(reverse("admin:followup_protocol_changelist")).status_code == 200


def test_the_daughter_sees_when_and_how_not_the_professionals_notes(first_contact, gp,
                                                                    caregiver, madeleine):
    contacts.record_contact(first_contact, actor=gp, outcome="problem",
                            note="Confused about the pills",
                            expected_version=first_contact.version)
    page = login_as(_client(), caregiver).get(reverse("network:person_detail",
                                                      args=[madeleine.pk]))
    content = page.content.decode()
    assert "Follow-up after discharge" in content
    assert "Reached, a problem found" in content
    assert "Confused about the pills" not in content
    assert reverse("followup:followup_detail", args=[first_contact.followup_id]) not in content
    assert reverse("followup:contact_record", args=[first_contact.pk]) not in content
    gp_page = login_as(_client(), gp).get(reverse("followup:followup_detail",
                                                  args=[first_contact.followup_id]))
    assert "Confused about the pills" in gp_page.content.decode()


@pytest.mark.parametrize(("language", "words"), [
    ("fr", ["Depuis la sortie du 18/12/2026", "tentative 2", "N'importe qui chez ",
            "à faire aujourd'hui", "Enregistrer ce contact"]),
    ("nl", ["Sinds het ontslag van 18/12/2026", "poging 2", "Iedereen bij ",
            "vandaag te doen", "Dit contact registreren"]),
])
def test_the_followup_reads_in_the_readers_language_on_both_pages(first_contact, gp, world,
                                                                  madeleine, language, words):
    """The contacts are one Jinja2 fragment (followup/partials/contact_items.jinja) for the
    person page's section and the follow-up's own page, which adds the notes."""
    Contact.objects.filter(pk=first_contact.pk).update(
        attempt=2, owner=None, owner_organisation=world.gp_practice, note="Call the son first")
    gp.language = language
    gp.save(update_fields=["language"])
    client = login_as(Client(HTTP_ACCEPT_LANGUAGE=language), gp)

    section = unescape(client.get(reverse("network:person_detail", args=[madeleine.pk]))
                       .content.decode())
    detail = unescape(client.get(reverse("followup:followup_detail",
                                         args=[first_contact.followup_id])).content.decode())

    for text in (section, detail):
        assert [word for word in words[1:] if word not in text] == [], language
        assert world.gp_practice.name in text
    assert words[0] in section
    assert reverse("followup:contact_reassign", args=[first_contact.pk]) in section
    assert "Call the son first" in detail
