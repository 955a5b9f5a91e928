"""Closed-loop referrals: the needs analysis, the declared transitions, both inboxes."""

from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from relais.directory.models import Category
from relais.network.models import Person
from relais.notifications.models import Notification
from relais.stays import referrals
from relais.stays.models import TRANSITIONS, Referral, ReferralEvent, ReferralStatus
from tests.helpers import statements_planned_each_time
from tests.relais.stays.conftest import NEEDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(stay, nursing_service, liaison_nurse):
    return referrals.send(person=stay.person, service=nursing_service, stay=stay,
                          needs=NEEDS, urgency="24h", actor=liaison_nurse,
                          sender_organisation=stay.hospital, person_agrees=True)


@pytest.mark.parametrize("missing", list(referrals.NEEDS_FIELDS))
def test_a_referral_without_a_complete_needs_analysis_is_refused(stay, nursing_service,
                                                                 liaison_nurse, missing):
    needs = {**NEEDS, missing: ""}
    with pytest.raises(ValidationError) as error:
        referrals.send(person=stay.person, service=nursing_service, stay=stay, needs=needs,
                       urgency="routine", actor=liaison_nurse,
                       sender_organisation=stay.hospital, person_agrees=True)
    assert missing in error.value.message_dict
    assert not Referral.objects.exists()


def test_a_referral_needs_the_persons_agreement(stay, nursing_service, liaison_nurse):
    with pytest.raises(ValidationError):
        referrals.send(person=stay.person, service=nursing_service, stay=stay, needs=NEEDS,
                       urgency="routine", actor=liaison_nurse,
                       sender_organisation=stay.hospital)
    assert not Referral.objects.exists()


def test_sending_sets_the_deadline_and_tells_the_receiver(referral, home_nurse):
    assert referral.status == ReferralStatus.SENT
    hours = (referral.respond_by - referral.created_at).total_seconds() / 3600
    assert 23.9 < hours < 24.1
    assert Notification.objects.filter(recipient=home_nurse, kind="referral.received").exists()


ALL = list(ReferralStatus)


@pytest.mark.parametrize("start, to", [(a, b) for a, b in product(ALL, ALL)
                                       if b not in TRANSITIONS[a]])
def test_every_illegal_transition_is_refused(referral, home_nurse, start, to):
    Referral.objects.filter(pk=referral.pk).update(status=start, decline_reason="other")
    referral.refresh_from_db()
    with pytest.raises(ValidationError):
        referrals.transition(referral, to, actor=home_nurse, reason="other",
                             expected_version=referral.version)
    referral.refresh_from_db()
    assert referral.status == start


def test_the_whole_loop(referral, home_nurse, liaison_nurse, world):
    referrals.transition(referral, "accepted", actor=home_nurse,
                         expected_version=referral.version)
    assert Notification.objects.filter(recipient=liaison_nurse,
                                       kind="referral.accepted").exists()
    member = referral.person.members.get(organisation=world.home_nursing)
    assert member.is_active  # the accepting organisation is (still) in the network
    referrals.transition(referral, "started", actor=home_nurse,
                         expected_version=referral.version)
    referrals.transition(referral, "completed", actor=home_nurse,
                         expected_version=referral.version)
    assert list(ReferralEvent.objects.filter(referral=referral).values_list(
        "status", flat=True)) == ["sent", "accepted", "started", "completed"]


def test_accepting_adds_a_new_organisation_to_the_network(stay, liaison_nurse, platform_admin):
    from relais.accounts.models import OrganisationType
    from relais.directory import services as directory_services
    from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

    helpers = OrganisationFactory(name="Aide Test", type=OrganisationType.HOME_HELP)
    worker = UserFactory(email="help@test.relais.example")
    MembershipFactory(user=worker, organisation=helpers, function="coordinator")
    service = directory_services.create_service(
        helpers, {"category": "home_help", "name_fr": "Aide", "serves_all_brussels": True},
        actor=platform_admin)
    referral = referrals.send(person=stay.person, service=service, stay=stay, needs=NEEDS,
                              urgency="72h", actor=liaison_nurse,
                              sender_organisation=stay.hospital, person_agrees=True)
    assert stay.person in Person.objects.visible_to(worker)  # to judge the referral
    referrals.transition(referral, "accepted", actor=worker, expected_version=referral.version)
    assert stay.person.members.active().filter(organisation=helpers,
                                               roles__role="home_help").exists()


def test_declining_needs_a_reason(referral, home_nurse):
    with pytest.raises(ValidationError):
        referrals.transition(referral, "declined", actor=home_nurse,
                             expected_version=referral.version)
    referrals.transition(referral, "declined", actor=home_nurse, reason="no_capacity",
                         note="Full until January", expected_version=referral.version)
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == ("declined", "no_capacity")


def test_overdue_referrals(referral):
    assert not referral.is_overdue
    Referral.objects.filter(pk=referral.pk).update(
        respond_by=timezone.now() - timezone.timedelta(minutes=1))
    assert Referral.objects.overdue().filter(pk=referral.pk).exists()


# --- the pages ------------------------------------------------------------------------


def test_the_receiver_accepts_in_one_step(persona_client, referral, home_nurse):
    client = persona_client("home_nurse")
    inbox = client.get(reverse("stays:referral_inbox"))
    assert [row.pk for row in inbox.context["to_answer"]] == [referral.pk]
    response = client.post(reverse("stays:referral_move", args=[referral.pk, "accepted"]),
                           {"version": referral.version})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"


def test_the_sender_cannot_accept_and_strangers_see_nothing(persona_client, referral):
    url = reverse("stays:referral_move", args=[referral.pk, "accepted"])
    assert persona_client("liaison_nurse").post(url, {"version": 1}).status_code == 404
    assert persona_client("outsider").get(
        reverse("stays:referral_detail", args=[referral.pk])).status_code == 404
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_the_sender_may_cancel(persona_client, referral):
    url = reverse("stays:referral_move", args=[referral.pk, "cancelled"])
    assert persona_client("home_nurse").post(url, {"version": 1}).status_code == 404
    assert persona_client("liaison_nurse").post(url, {"version": 1}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == "cancelled"


def test_refer_from_the_plan_shows_matches_then_the_needs_form(persona_client, stay,
                                                               nursing_service):
    client = persona_client("liaison_nurse")
    url = reverse("stays:referral_new", args=[stay.pk])
    matches = client.get(url, {"category": "home_nursing", "urgency": "24h"}).context["matches"]
    assert matches[0].service == nursing_service and matches[0].suitable
    form_url = f"{url}?service={nursing_service.pk}"
    response = client.post(form_url, {"help_needed": "", "frequency": "daily",
                                      "start_on": "2026-12-01", "reason": "x",
                                      "person_wishes": "y", "urgency": "24h",
                                      "person_agrees": "on"})
    assert response.status_code == 200 and not Referral.objects.exists()
    response = client.post(form_url, {**{k: str(v) for k, v in NEEDS.items()},
                                      "urgency": "24h", "person_agrees": "on"})
    assert response.status_code == 302
    assert Referral.objects.get().service == nursing_service


def test_the_inbox_shows_the_first_of_each_list_and_all_on_asking(
        monkeypatch, persona_client, referral, world, platform_admin):
    """Hundreds of referrals in progress are not rendered at each visit: the latest
    changed first, `INBOX_SHOWN` of them, and a link to see them all."""
    from datetime import timedelta

    from relais.directory import services as directory_services
    from relais.stays import views

    monkeypatch.setattr(views, "INBOX_SHOWN", 2)
    in_progress = []
    for n in range(3):
        service = directory_services.create_service(world.home_nursing, {
            "category": Category.HOME_NURSING, "name_fr": f"Soins {n}", "name_nl": f"Zorg {n}",
            "languages": ["fr"], "serves_all_brussels": True, "urgent_start": "24h",
            "contact_phone": "+32 2 500 00 09"}, actor=platform_admin)
        copy = Referral.objects.get(pk=referral.pk)
        copy.pk, copy.service, copy.status = None, service, "started"
        copy.save()
        Referral.objects.filter(pk=copy.pk).update(
            updated_at=timezone.now() - timedelta(days=3 - n))  # the last one changed last
        in_progress.append(copy.pk)
    client = persona_client("home_nurse")
    inbox = client.get(reverse("stays:referral_inbox"))
    assert [r.pk for r in inbox.context["in_progress"]] == in_progress[:0:-1]  # newest two
    assert inbox.context["more"]["in_progress"]
    assert 'href="?all=in_progress#progress"' in inbox.content.decode()
    assert [r.pk for r in inbox.context["to_answer"]] == [referral.pk]
    assert not inbox.context["more"]["to_answer"]
    everything = client.get(reverse("stays:referral_inbox"), {"all": "in_progress"})
    assert [r.pk for r in everything.context["in_progress"]] == in_progress[::-1]
    assert not everything.context["more"]["in_progress"]


def test_each_inbox_line_says_who_what_whom_and_when_in_the_readers_language(
        persona_client, referral, home_nurse, liaison_nurse, stay):
    """The lines come from the rows' values (stays/views.py `InboxRow`), not from model
    instances: the service's name in the reader's language (else another), the other
    side's organisation, the status, and the overdue mark."""
    Referral.objects.filter(pk=referral.pk).update(
        respond_by=timezone.now() - timezone.timedelta(minutes=5))
    person, hospital = stay.person.full_name, stay.hospital.name
    for language, service in (("nl", "Thuisverpleging Test"), ("en", "Soins Test")):
        home_nurse.language = language
        home_nurse.save(update_fields=["language"])
        (line,) = persona_client("home_nurse").get(
            reverse("stays:referral_inbox")).context["to_answer"]
        assert (line.person_name, line.service_name, line.organisation_name) == (
            person, service, hospital)
        assert line.is_overdue and line.url == reverse("stays:referral_detail",
                                                      args=[referral.pk])
    page = persona_client("home_nurse").get(reverse("stays:referral_inbox")).content.decode()
    assert f">{person}</a></td><td>Soins Test</td><td>{hospital}</td>" in page
    assert 'class="badge badge-bad">overdue</span>' in page
    liaison_nurse.language = "en"
    liaison_nurse.save(update_fields=["language"])
    sent = persona_client("liaison_nurse").get(reverse("stays:referral_inbox"))
    (line,) = sent.context["sent"]
    assert (line.organisation_name, line.status_label) == (
        referral.organisation.name, "Sent")
    assert f"{person} → Soins Test</a> · Sent" in sent.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="PostgreSQL's cache of prepared statements' plans")
@pytest.mark.django_db(transaction=True)  # as a page runs: no transaction around it
def test_the_inbox_lists_keep_their_plan_and_leave_the_setting_as_it_was(
        persona_client, referral):
    """The inbox's three lists run with their generic plans (core.kept.generic_plans):
    planned at every run, they spent 1.9 ms each planning (bench/person_page_scale.py).
    The connection's setting is back to PostgreSQL's own after the page."""
    client = persona_client("home_nurse")
    for _ in range(12):
        inbox = client.get(reverse("stays:referral_inbox"))
        assert [row.pk for row in inbox.context["to_answer"]] == [referral.pk]

    assert statements_planned_each_time() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT custom_plans, generic_plans FROM pg_prepared_statements "
                       "WHERE statement LIKE %s", ['%"service__name_nl"%'])
        plans = cursor.fetchall()
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("auto",)
    # Prepared at their fifth run, then never planned for their values (the three lists:
    # PostgreSQL would otherwise try five custom plans first).
    assert sorted(plans) == [(0, 7)] * 3
