"""Refusals and the watch (issue 13, R2, R11): a refusal starts a watch (opting out needs a
reason), signals wake it, a check-in moves it on, one click restarts support; bad input is
refused with nothing saved; outsiders and excluded members get 404."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.booklet.models import EntryKind
from relais.followup import watch as services
from relais.followup.models import CheckIn, Refusal, SignalKind, Watch, WatchSignal
from relais.notifications.models import Notification
from relais.stays import referrals
from relais.stays import services as stays
from relais.stays.models import Referral
from tests.conftest import login_as
from tests.relais.network import conftest as network_fixtures
from tests.relais.stays import conftest as stay_fixtures
from tests.relais.stays.conftest import NEEDS

# Madeleine, her network and her stay, as the network and stays tests know them.
madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay
nursing_service = stay_fixtures.nursing_service

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def watched(madeleine, gp):
    """The GP keeps an eye on Madeleine after she refused home help."""
    services.record_refusal(madeleine, offered="Home help", reasons=["manages"],
                            capacity="yes", actor=gp)
    return Watch.objects.get()


def refusal_post(**changes):
    data = {"offered": "Home nursing every morning", "reasons": ["privacy"],
            "reason_text": "", "own_words": "I do not want strangers at home",
            "capacity": "yes", "start_watch": "on", "no_watch_reason": "", "owner": "",
            "rhythm": "weekly"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_refusal_starts_a_watch_an_alert_wakes_it_a_check_in_moves_it_on(
        client, madeleine, gp, home_nurse, frozen):
    page = login_as(client, gp).post(reverse("followup:refusal_new", args=[madeleine.pk]),
                                     refusal_post())

    assert page.status_code == 302
    refusal = Refusal.objects.get()
    assert (refusal.offered, refusal.reasons, refusal.capacity, refusal.offered_by) == (
        "Home nursing every morning", ["privacy"], "yes", gp)
    watched = Watch.objects.get()
    assert (watched.owner, watched.refusal, watched.rhythm) == (gp, refusal, "weekly")
    assert watched.next_check_on == NOW.date() + timedelta(days=7)

    frozen.shift(timedelta(days=2))
    booklet.write(madeleine, author=home_nurse, body="Fell last night", kind=EntryKind.ALERT)

    watched.refresh_from_db()
    assert watched.next_check_on == NOW.date() + timedelta(days=2)
    assert watched.woken_at == timezone.now()
    assert list(watched.signals.values_list("kind", flat=True)) == [SignalKind.BOOKLET_ALERT]
    assert Notification.objects.filter(recipient=gp, kind="watch.woken").count() == 1
    detail = login_as(client, gp).get(reverse("followup:watch_detail", args=[watched.pk]))
    assert "woken by a signal" in detail.content.decode()

    page = client.post(reverse("followup:watch_check_in", args=[watched.pk]),
                       {"status": "worried", "note": "Bruised, will see the GP",
                        "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})

    assert page.status_code == 302
    watched.refresh_from_db()
    assert watched.next_check_on == NOW.date() + timedelta(days=9)
    assert watched.woken_at is None
    assert list(watched.check_ins.values_list("status", "by")) == [("worried", gp.pk)]


def test_a_note_does_not_wake_the_watch(watched, madeleine, home_nurse):
    booklet.write(madeleine, author=home_nurse, body="All well today")

    watched.refresh_from_db()
    assert (watched.woken_at, watched.signals.count()) == (None, 0)


def test_an_admission_and_a_new_refusal_wake_the_watch(watched, madeleine, world,
                                                       liaison_nurse, coordinator, gp):
    stays.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)
    services.record_refusal(madeleine, offered="Meals on wheels", reasons=["cost"],
                            capacity="yes", actor=coordinator, start_watch=False,
                            no_watch_reason="The GP keeps an eye already")

    kinds = sorted(WatchSignal.objects.filter(watch=watched).values_list("kind", flat=True))
    assert kinds == [SignalKind.NEW_REFUSAL, SignalKind.READMISSION]
    assert Watch.objects.count() == 1
    assert Notification.objects.filter(recipient=gp, kind="watch.woken").count() == 2


def test_opting_out_of_the_watch_needs_a_reason(client, madeleine, gp):
    page = login_as(client, gp).post(reverse("followup:refusal_new", args=[madeleine.pk]),
                                     refusal_post(start_watch=None))

    assert page.status_code == 200
    assert "Say why nobody keeps an eye on the situation." in page.content.decode()
    assert not Refusal.objects.exists()
    assert not Watch.objects.exists()


def test_a_watch_without_owner_is_refused(client, madeleine, gp):
    page = login_as(client, gp).post(reverse("followup:watch_new", args=[madeleine.pk]),
                                     {"owner": "", "rhythm": "weekly"})

    assert "A watch needs an owner." in page.content.decode()
    assert not Watch.objects.exists()


def test_an_owner_outside_the_network_or_excluded_is_refused(client, madeleine, gp, outsider,
                                                             excluded_pro):
    page = login_as(client, gp).post(reverse("followup:watch_new", args=[madeleine.pk]),
                                     {"owner": outsider.pk, "rhythm": "weekly"})
    assert page.status_code == 200
    for owner in (outsider, excluded_pro):
        with pytest.raises(ValidationError) as refused:
            services.begin_watch(madeleine, owner=owner, actor=gp)
        assert "never an excluded party" in str(refused.value)
    with pytest.raises(ValidationError):
        services.record_refusal(madeleine, offered="Home help", reasons=["cost"],
                                capacity="yes", actor=gp, owner=excluded_pro)
    assert not Watch.objects.exists()
    assert not Refusal.objects.exists()


def test_the_owner_may_be_another_network_professional(client, madeleine, gp, coordinator):
    page = login_as(client, gp).post(reverse("followup:watch_new", args=[madeleine.pk]),
                                     {"owner": coordinator.pk, "rhythm": "monthly"})

    watched = Watch.objects.get()
    assert page.url == reverse("followup:watch_detail", args=[watched.pk])
    assert (watched.owner, watched.next_check_on) == (coordinator,
                                                      NOW.date() + timedelta(days=30))


def test_a_check_in_in_the_future_is_refused(client, watched, gp):
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = login_as(client, gp).post(reverse("followup:watch_check_in", args=[watched.pk]),
                                     {"status": "stable", "at": later})

    assert page.status_code == 400
    assert "A check-in cannot be in the future." in page.content.decode()
    assert not CheckIn.objects.exists()


def test_ending_needs_a_reason(client, watched, gp):
    page = login_as(client, gp).post(reverse("followup:watch_end", args=[watched.pk]),
                                     {"end_reason": ""})

    assert page.status_code == 400
    watched.refresh_from_db()
    assert watched.ended_at is None
    client.post(reverse("followup:watch_end", args=[watched.pk]),
                {"end_reason": "Accepted home nursing"})
    watched.refresh_from_db()
    assert (watched.ended_at is not None, watched.end_reason) == (True, "Accepted home nursing")


def test_a_refused_referral_offers_the_refusal_form_and_restart_carries_the_service(
        client, stay, nursing_service, liaison_nurse, home_nurse):
    referral = referrals.send(person=stay.person, service=nursing_service, stay=stay,
                              needs=NEEDS, urgency="24h", actor=liaison_nurse,
                              sender_organisation=stay.hospital, person_agrees=True)
    referrals.transition(referral, "declined", actor=home_nurse, reason="person_refused",
                         expected_version=referral.version)
    person_page = login_as(client, liaison_nurse).get(
        reverse("network:person_detail", args=[stay.person.pk]))
    form_url = reverse("followup:refusal_new", args=[stay.person.pk]) + (
        f"?referral={referral.pk}")
    assert form_url in person_page.content.decode()

    client.post(form_url, refusal_post(offered="Soins Test"))

    refusal = Refusal.objects.get()
    assert (refusal.referral, refusal.service) == (referral, nursing_service)
    watched = Watch.objects.get(refusal=refusal)
    page = client.get(reverse("followup:watch_detail", args=[watched.pk])).content.decode()
    restart_url = reverse("followup:watch_restart", args=[watched.pk])
    assert restart_url in page
    restart = client.get(restart_url).content.decode()
    assert "Daily wound care and help with washing" in restart and "Soins Test" in restart

    client.post(restart_url, restart_post())

    again = Referral.objects.get(status="sent")
    # Sent from the hospital where she stays now: it belongs to that stay.
    assert (again.stay, again.sender, again.sender_organisation) == (
        stay, liaison_nurse, stay.hospital)


@pytest.mark.parametrize("name", ["outsider", "excluded_pro", "caregiver"])
def test_outsiders_and_excluded_members_get_404(client, request, watched, madeleine, name):
    login_as(client, request.getfixturevalue(name))
    urls = [reverse("followup:refusal_new", args=[madeleine.pk]),
            reverse("followup:watch_new", args=[madeleine.pk]),
            reverse("followup:watch_detail", args=[watched.pk])]

    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    assert client.post(reverse("followup:watch_check_in", args=[watched.pk]),
                       {"status": "stable"}).status_code == 404
    assert client.post(reverse("followup:watch_end", args=[watched.pk]),
                       {"end_reason": "x"}).status_code == 404
    assert not CheckIn.objects.exists()
    assert Watch.objects.get().ended_at is None


def test_the_person_page_shows_the_watch(client, watched, madeleine, coordinator):
    page = login_as(client, coordinator).get(
        reverse("network:person_detail", args=[madeleine.pk])).content.decode()

    assert reverse("followup:watch_detail", args=[watched.pk]) in page
    assert "Home help" in page


# --- restarting support from home -----------------------------------------------------------


def restart_post(**changes):
    data = {**{name: str(value) for name, value in NEEDS.items()}, "start_on": "2026-12-05",
            "urgency": "72h", "person_agrees": "on"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def refused_nursing(stay, nursing_service, liaison_nurse, home_nurse, coordinator):
    """The hospital referred Madeleine to home nursing; she refused; the coordinator
    recorded it and keeps an eye (the watch's owner). Then she went home."""
    referral = referrals.send(person=stay.person, service=nursing_service, stay=stay,
                              needs=NEEDS, urgency="24h", actor=liaison_nurse,
                              sender_organisation=stay.hospital, person_agrees=True)
    referrals.transition(referral, "declined", actor=home_nurse, reason="person_refused",
                         expected_version=referral.version)
    services.record_refusal(stay.person, offered="Home nursing", reasons=["privacy"],
                            capacity="yes", actor=coordinator, referral=referral,
                            service=nursing_service)
    stays.discharge(stay, actor=liaison_nurse, reason="test", destination="other")
    return Watch.objects.get()


def test_the_coordinator_who_owns_the_watch_restarts_support(
        client, refused_nursing, coordinator, nursing_service, world, home_nurse):
    login_as(client, coordinator)
    restart_url = reverse("followup:watch_restart", args=[refused_nursing.pk])
    page = client.get(reverse("followup:watch_detail", args=[refused_nursing.pk]))
    assert restart_url in page.content.decode()

    form = client.get(restart_url).content.decode()
    assert "Soins Test" in form
    for value in ("Daily wound care and help with washing", "every morning",
                  "Leg ulcer; lives alone"):
        assert value in form

    answer = client.post(restart_url, restart_post(help_needed="Wound care, twice a week"))

    sent = Referral.objects.get(status="sent")
    assert answer.url == reverse("stays:referral_detail", args=[sent.pk])
    assert (sent.person, sent.service, sent.stay, sent.sender, sent.sender_organisation,
            sent.help_needed, sent.urgency, sent.person_agrees) == (
        refused_nursing.person, nursing_service, None, coordinator,
        world.coordination_centre, "Wound care, twice a week", "72h", True)
    event = AuditEvent.objects.get(action="followup.watch.restart")
    assert (event.actor_id, event.detail) == (
        coordinator.pk, {"referral": sent.pk, "service": nursing_service.pk})
    assert Notification.objects.filter(recipient=home_nurse, kind="referral.received",
                                       target_id=sent.pk).count() == 1
    assert client.get(answer.url).status_code == 200  # the sender follows it up


def test_the_gp_without_a_service_offered_chooses_one(client, watched, gp, nursing_service,
                                                      world):
    login_as(client, gp)
    restart_url = reverse("followup:watch_restart", args=[watched.pk])

    choose = client.get(restart_url).content.decode()
    found = client.get(restart_url, {"category": "home_nursing", "urgency": "routine"})

    assert "Which help does the person accept now?" in choose
    assert f"?service={nursing_service.pk}" in found.content.decode()
    client.post(f"{restart_url}?service={nursing_service.pk}", restart_post())
    sent = Referral.objects.get()
    assert (sent.sender, sent.sender_organisation, sent.stay) == (gp, world.gp_practice, None)
    found = client.get(restart_url, {"category": "home_nursing", "urgency": "routine"})
    assert reverse("stays:referral_detail", args=[sent.pk]) in found.content.decode()


def test_without_the_persons_agreement_nothing_is_sent(client, refused_nursing, coordinator):
    login_as(client, coordinator)

    answer = client.post(reverse("followup:watch_restart", args=[refused_nursing.pk]),
                         restart_post(person_agrees=None))

    assert answer.status_code == 400
    assert not Referral.objects.filter(status="sent").exists()
    assert not AuditEvent.objects.filter(action="followup.watch.restart").exists()


def test_an_open_referral_to_the_service_is_not_sent_twice(client, refused_nursing,
                                                           coordinator):
    login_as(client, coordinator)
    url = reverse("followup:watch_restart", args=[refused_nursing.pk])
    client.post(url, restart_post())

    answer = client.post(url, restart_post())

    assert "Nothing was sent." in answer.content.decode()
    assert Referral.objects.filter(status="sent").count() == 1


@pytest.mark.parametrize("name", ["outsider", "excluded_pro", "former_member", "caregiver",
                                  "analyst"])
def test_outside_the_network_or_excluded_nobody_restarts(client, request, refused_nursing,
                                                         nursing_service, name):
    user = request.getfixturevalue(name)
    login_as(client, user)
    url = reverse("followup:watch_restart", args=[refused_nursing.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, restart_post()).status_code == 404
    assert not Referral.objects.filter(status="sent").exists()
    assert services.restart_url(user, refused_nursing) is None
    with pytest.raises(ValidationError):
        services.restart_support(refused_nursing, actor=user, service=nursing_service,
                                 needs=NEEDS, urgency="72h", person_agrees=True,
                                 organisation=None)


def test_an_ended_watch_restarts_nothing(client, refused_nursing, coordinator):
    services.end_watch(refused_nursing, reason="Help accepted", actor=coordinator)
    login_as(client, coordinator)

    assert client.get(reverse("followup:watch_restart",
                              args=[refused_nursing.pk])).status_code == 404


def test_the_organisation_must_be_the_senders(refused_nursing, coordinator, nursing_service,
                                              world):
    with pytest.raises(ValidationError) as refused:
        services.restart_support(refused_nursing, actor=coordinator, service=nursing_service,
                                 needs=NEEDS, urgency="72h", person_agrees=True,
                                 organisation=world.home_nursing)

    assert "Choose an organisation you work for" in str(refused.value)
    assert not Referral.objects.filter(status="sent").exists()


def test_owner_candidates_are_the_actor_then_the_network(madeleine, gp, coordinator,
                                                         home_nurse, liaison_nurse):
    from relais.followup import contacts

    network = contacts.owner_candidates(madeleine)

    assert services.owner_candidates(madeleine, gp) == [
        gp, *[user for user in network if user != gp]]
    assert coordinator in network and gp in network
