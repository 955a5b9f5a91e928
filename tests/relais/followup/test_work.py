"""My work (issue 13): one list by due date across kinds, through the gate; the team
view of coordinators with reassignment to a colleague who may own; the calendar feed."""

import html
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from relais.accounts.models import Function
from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.booklet.models import Entry, EntryKind
from relais.directory.models import Service
from relais.followup import calendar, work
from relais.followup.models import CalendarFeed, Channel, Contact, FollowUp, Protocol, Watch
from relais.network import services as network_services
from relais.network.models import MemberKind, Role
from relais.stays.models import Referral
from tests.conftest import login_as
from tests.factories import MembershipFactory, UserFactory
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

TODAY = timezone.localdate


@pytest.fixture
def followup(madeleine):
    protocol = Protocol.objects.create(family="test", name="Test protocol")
    return FollowUp.objects.create(person=madeleine, protocol=protocol,
                                   started_on=TODAY() - timedelta(days=2))


def _contact(followup, days, **owner):
    return Contact.objects.create(followup=followup, channel=Channel.PHONE,
                                  due_on=TODAY() + timedelta(days=days), **owner)


def _watch(person, days, owner):
    return Watch.objects.create(person=person, owner=owner, next_check_on=TODAY()
                                + timedelta(days=days), started_on=TODAY() - timedelta(days=30))


def _alert(person, author, text="Fell in the kitchen"):
    return Entry.objects.create(person=person, kind=EntryKind.ALERT, body=text, author=author)


def test_one_list_by_due_date_across_kinds(followup, madeleine, gp, world, coordinator):
    later = _contact(followup, 3, owner=gp)
    watch = _watch(madeleine, -1, gp)
    today_for_practice = _contact(followup, 0, owner_organisation=world.gp_practice)
    alert = _alert(madeleine, coordinator)
    _contact(followup, 1, owner=coordinator)  # someone else's

    listed = work.items_for(gp)

    assert [(i.kind, i.pk) for i in listed.items] == [
        ("check_in", watch.pk), ("contact", today_for_practice.pk), ("alert", alert.pk),
        ("contact", later.pk)]
    assert [i.overdue for i in listed.items] == [True, False, False, False]
    assert listed.counts["contact"] == 2 and listed.counts["check_in"] == 1
    assert listed.urgent == 3  # the watch, the alert, today's contact
    assert {i.person for i in listed.items} == {"Madeleine Lambert"}


def test_an_excluded_party_never_sees_the_persons_items(followup, madeleine, excluded_pro,
                                                        client):
    madeleine.first_name = "Zebulonia"
    madeleine.save()
    _contact(followup, 0, owner=excluded_pro)
    _watch(madeleine, 0, excluded_pro)

    assert work.items_for(excluded_pro).items == []
    page = login_as(client, excluded_pro).get(reverse("followup:my_work"))
    assert page.status_code == 200
    assert "Zebulonia" not in page.content.decode()


def test_a_portal_user_has_no_work_page(caregiver, client):
    assert login_as(client, caregiver).get(reverse("followup:my_work")).status_code == 404


def test_filters_by_kind_and_person(followup, madeleine, gp, coordinator, client):
    _contact(followup, 1, owner=gp)
    _watch(madeleine, 2, gp)

    login_as(client, gp)
    page = client.get(reverse("followup:my_work"), {"kind": "check_in"})
    assert [i.kind for i in page.context["work"].items] == ["check_in"]
    page = client.get(reverse("followup:my_work"), {"person": madeleine.pk + 1000})
    assert page.context["work"].items == []


def test_the_home_page_of_a_professional_is_their_work(followup, gp, client):
    _contact(followup, -2, owner=gp)
    page = login_as(client, gp).get("/")
    assert "Madeleine Lambert" in page.content.decode()
    assert page.context["work"].urgent == 1


def test_the_home_page_reads_the_ten_lines_it_shows_and_counts_them_all(followup, gp, client):
    for day in range(12):
        _contact(followup, day, owner=gp)
    page = login_as(client, gp).get("/")
    listed = page.context["work"]
    assert len(listed.items) == 10 and listed.total == 12
    assert "All 12 things to do" in page.content.decode()


def test_team_view_for_a_coordinator_not_for_a_plain_member(followup, coordinator,
                                                             home_nurse, world, client):
    contact = _contact(followup, 1, owner_organisation=world.coordination_centre)

    page = login_as(client, coordinator).get(reverse("followup:my_work"), {"team": "1"})
    assert page.status_code == 200
    assert [i.kind for i in page.context["work"].items] == ["contact"]
    assert "Coordination Test" in page.content.decode()  # the owner: the organisation
    reassign = reverse("followup:work_reassign", args=["contact", contact.pk])
    assert f'href="{reassign}"' in page.content.decode()
    assert client.get(reassign).status_code == 200

    client.logout()
    page = login_as(client, home_nurse).get(reverse("followup:my_work"), {"team": "1"})
    assert page.status_code == 404


@pytest.fixture
def colleague(world):
    user = UserFactory(email="colleague@test.relais.example", first_name="Colette")
    MembershipFactory(user=user, organisation=world.coordination_centre,
                      function=Function.COORDINATOR)
    return user


def test_reassign_to_a_colleague_who_may_own(followup, coordinator, colleague, world, client):
    contact = _contact(followup, 1, owner_organisation=world.coordination_centre)

    response = login_as(client, coordinator).post(
        reverse("followup:work_reassign", args=["contact", contact.pk]),
        {"owner": colleague.pk, "version": contact.version})

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.owner == colleague and contact.version == 2
    assert AuditEvent.objects.filter(action="followup.contact_reassign",
                                     actor=coordinator).count() == 1


def test_reassign_a_watch(madeleine, coordinator, colleague, client):
    watch = _watch(madeleine, 3, coordinator)
    login_as(client, coordinator).post(
        reverse("followup:work_reassign", args=["check_in", watch.pk]),
        {"owner": colleague.pk, "version": watch.version})
    watch.refresh_from_db()
    assert watch.owner == colleague


def test_reassign_refused_outside_the_team_or_to_an_excluded_colleague(
        followup, madeleine, coordinator, colleague, gp, world, client, settings):
    network_services.exclude_member(network_services.add_member(
        madeleine, kind=MemberKind.PROFESSIONAL, user=colleague, roles=[Role.SOCIAL_WORKER],
        actor=coordinator), actor=coordinator)
    contact = _contact(followup, 1, owner_organisation=world.coordination_centre)
    login_as(client, coordinator)
    url = reverse("followup:work_reassign", args=["contact", contact.pk])

    refusals = {gp: "Choose a colleague of your organisation.",  # not a colleague
                colleague: "Choose someone in the person's network."}  # excluded
    for target, message in refusals.items():
        page = client.post(url, {"owner": target.pk, "version": contact.version})
        assert page.status_code == 200
        assert message in html.unescape(page.content.decode())
        assert "Nothing was changed." in page.content.decode()
    coordinator.language = "fr"
    coordinator.save()
    page = client.post(url, {"owner": gp.pk, "version": contact.version})
    assert "Choisissez un collègue de votre organisation. Rien n'a été modifié." in (
        html.unescape(page.content.decode()))
    contact.refresh_from_db()
    assert contact.owner is None and contact.version == 1
    assert not AuditEvent.objects.filter(action="followup.contact_reassign").exists()


def test_reassign_service_refuses_with_a_message(followup, coordinator, gp, world):
    contact = _contact(followup, 1, owner_organisation=world.coordination_centre)
    with translation.override("en"), pytest.raises(ValidationError, match="colleague"):
        work.reassign_in_team(contact, gp, actor=coordinator,
                              team_ids={world.coordination_centre.pk}, expected_version=1)
    contact.refresh_from_db()
    assert contact.owner is None


def _queries(user, **options):
    with CaptureQueriesContext(connection) as captured:
        work.items_for(user, **options)
    return len(captured.captured_queries)


def test_constant_number_of_queries(followup, madeleine, gp, coordinator):
    _contact(followup, 1, owner=gp)
    _watch(madeleine, 1, gp)
    _alert(madeleine, coordinator)
    one = _queries(gp)
    for day in range(29):
        _contact(followup, day, owner=gp)
        _watch(madeleine, day, gp)
        _alert(madeleine, coordinator, f"Alert {day}")

    listed = work.items_for(gp)
    assert len(listed.items) == work.PAGE == 50
    assert listed.counts == {"contact": 30, "check_in": 30, "referral": 0, "consultation": 0,
                             "plan_item": 0, "alert": 30}
    assert _queries(gp) == one
    # One query a kind on the page for its lines: a page with fewer kinds costs less.
    assert _queries(gp, page=2) <= one


def _team_page_queries(client, **params):
    with CaptureQueriesContext(connection) as captured:
        page = client.get(reverse("followup:my_work"), {"team": "1", **params})
    assert page.status_code == 200
    return len(captured.captured_queries)


def test_the_team_page_costs_the_same_queries_however_many_items(
        followup, madeleine, coordinator, world, client):
    centre = world.coordination_centre
    _contact(followup, 1, owner_organisation=centre)
    _watch(madeleine, 1, coordinator)
    login_as(client, coordinator)
    few = _team_page_queries(client)
    Contact.objects.bulk_create([Contact(followup=followup, channel=Channel.PHONE,
                                         owner_organisation=centre,
                                         due_on=TODAY() + timedelta(days=n % 40 - 10))
                                 for n in range(120)])

    assert _team_page_queries(client) == few
    assert _team_page_queries(client, page="3") <= few


def test_pages_of_the_list_nearest_first_with_the_counts_of_all(
        followup, madeleine, gp, client, monkeypatch):
    contacts = [_contact(followup, day, owner=gp) for day in (4, -2, 0, 9, 1, 6, 3)]
    watch = _watch(madeleine, 5, gp)
    by_due = sorted([(c.due_on, 0, c.pk) for c in contacts] + [(watch.next_check_on, 1,
                                                                 watch.pk)])

    pages = [work.items_for(gp, page=n, per_page=3) for n in (1, 2, 3)]

    assert [[i.pk for i in p.items] for p in pages] == [
        [pk for _d, _k, pk in by_due[:3]], [pk for _d, _k, pk in by_due[3:6]],
        [pk for _d, _k, pk in by_due[6:]]]
    assert [(p.first, p.last, p.has_previous, p.has_next) for p in pages] == [
        (1, 3, False, True), (4, 6, True, True), (7, 8, True, False)]
    assert all(p.counts["contact"] == 7 and p.counts["check_in"] == 1 for p in pages)
    assert all(p.urgent == 2 for p in pages)  # overdue two days, and today's
    assert work.items_for(gp, page=4, per_page=3).items == []

    monkeypatch.setattr(work, "PAGE", 3)
    page = login_as(client, gp).get(reverse("followup:my_work"), {"page": "2"})
    body = page.content.decode()
    assert "4 to 6 of 8, overdue and nearest first." in body
    assert 'href="/work/?page=3" rel="next"' in body.replace(reverse("followup:my_work"),
                                                             "/work/")
    assert 'rel="prev"' in body
    assert "Follow-up contacts (7)" in body and "Watch check-ins (1)" in body


def test_the_filters_keep_to_the_next_page_and_a_person_links_to_their_items(
        followup, madeleine, gp, client, monkeypatch):
    for day in range(5):
        _contact(followup, day, owner=gp)
    _watch(madeleine, 0, gp)
    monkeypatch.setattr(work, "PAGE", 2)
    url = reverse("followup:my_work")

    page = login_as(client, gp).get(url, {"kind": "contact", "person": madeleine.pk})

    body = page.content.decode().replace("&amp;", "&")
    assert f'href="{url}?kind=contact&person={madeleine.pk}&page=2" rel="next"' in body
    assert page.context["work"].counts == {"contact": 5}
    first = login_as(client, gp).get(url).content.decode().replace("&amp;", "&")
    assert f'href="{url}?person={madeleine.pk}">Madeleine Lambert</a>' in first


def test_a_referral_is_on_the_work_of_the_receiving_team_never_of_an_excluded_member(
        madeleine, excluded_pro, coordinator, client):
    social = excluded_pro.memberships.get().organisation
    colleague = UserFactory(email="social2@test.relais.example")
    MembershipFactory(user=colleague, organisation=social, function=Function.SOCIAL_WORKER)
    service = Service.objects.create(organisation=social, category="home_care_coordination",
                                     name_fr="Aide", name_nl="Hulp", name_en="Help")
    referral = Referral.objects.create(
        person=madeleine, service=service, organisation=social, sender=coordinator,
        sender_organisation=coordinator.memberships.get().organisation, help_needed="help",
        frequency="daily", start_on=TODAY(), reason="alone at home", person_wishes="yes",
        # an hour late: urgent whatever the time of day (due "today" depends on the clock)
        respond_by=timezone.now() - timedelta(hours=1))

    seen = work.items_for(colleague)
    assert [(i.kind, i.pk) for i in seen.items] == [("referral", referral.pk)]
    assert seen.counts["referral"] == 1 and seen.urgent == 1
    hidden = work.items_for(excluded_pro)
    assert hidden.items == [] and hidden.counts["referral"] == 0 and hidden.urgent == 0


def test_a_professional_of_no_organisation_has_an_empty_list_not_an_error(world):
    alone = UserFactory(email="alone@test.relais.example")

    assert work.items_for(alone).counts == dict.fromkeys(work.KINDS, 0)
    assert work.items_for(alone, organisation_ids=set()).items == []


# --- the calendar feed --------------------------------------------------------------------


def test_calendar_feed_has_no_names_and_rfc_5545_lines(followup, madeleine, gp, client):
    madeleine.last_name = "Quixotrebel"
    madeleine.save()
    contact = _contact(followup, 2, owner=gp)
    _watch(madeleine, 5, gp)
    secret = calendar.create_feed(gp, actor=gp)

    response = client.get(calendar.feed_path(secret))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "private" in response["Cache-Control"]
    body = response.content.decode()
    assert "Quixotrebel" not in body and "Madeleine" not in body
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert f"UID:contact-{contact.pk}@relais" in unfolded
    assert unfolded.count("BEGIN:VEVENT") == 2
    assert AuditEvent.objects.filter(action="followup.calendar_read", actor=gp).count() == 1


def test_calendar_secret_is_stored_hashed_and_revocable(gp, client):
    secret = calendar.create_feed(gp, actor=gp)
    assert CalendarFeed.objects.get(user=gp).secret_hash != secret
    assert client.get(calendar.feed_path("wrong" + secret)).status_code == 404

    newer = calendar.create_feed(gp, actor=gp)
    assert client.get(calendar.feed_path(secret)).status_code == 404
    assert client.get(calendar.feed_path(newer)).status_code == 200

    login_as(client, gp).post(reverse("followup:calendar_revoke"))
    assert not CalendarFeed.objects.filter(user=gp).exists()
    assert client.get(calendar.feed_path(newer)).status_code == 404


def test_calendar_settings_shows_a_new_address_once(gp, client):
    page = login_as(client, gp).post(reverse("followup:calendar_create"))
    assert page.status_code == 200
    assert ".ics" in page.content.decode()
    again = client.get(reverse("followup:calendar_settings"))
    assert ".ics" not in again.content.decode()


def test_fold_never_splits_a_character():
    line = "SUMMARY:" + "é" * 100
    folded = calendar.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_an_alert_stays_on_my_list_until_i_acknowledge_it_whoever_else_did(
        madeleine, gp, coordinator, home_nurse):
    """Alerts are listed until each reader acknowledges them: the GP who only opened it
    still has it when the home nurse has acknowledged it (a receipt each)."""
    alert = _alert(madeleine, coordinator)
    booklet.mark_read(gp, [alert])
    booklet.mark_read(home_nurse, [alert])
    booklet.acknowledge(alert, user=home_nurse)

    assert ("alert", alert.pk) in [(i.kind, i.pk) for i in work.items_for(gp).items]
    assert ("alert", alert.pk) not in [(i.kind, i.pk) for i in work.items_for(home_nurse).items]
    assert list(booklet.unacknowledged_alerts(gp, madeleine)) == [alert]
    booklet.acknowledge(alert, user=gp)
    assert ("alert", alert.pk) not in [(i.kind, i.pk) for i in work.items_for(gp).items]
    assert list(booklet.unacknowledged_alerts(gp, madeleine)) == []
