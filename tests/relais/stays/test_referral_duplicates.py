"""One open referral per person and service (issue 12): a second one is refused with a link
to the one that exists, through the service, the pages and the database; and the match
page says one capacity state per service."""

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from relais.audit.models import AuditEvent
from relais.directory.models import Service
from relais.notifications.models import Notification
from relais.stays import referrals
from relais.stays.models import Referral, ReferralEvent, ReferralStatus
from tests.relais.stays.conftest import NEEDS

pytestmark = pytest.mark.django_db


def send(stay, service, actor):
    return referrals.send(person=stay.person, service=service, stay=stay, needs=NEEDS,
                          urgency="24h", actor=actor, sender_organisation=stay.hospital,
                          person_agrees=True)


def form_data(**changes) -> dict:
    return {**NEEDS, "start_on": "01/12/2026", "urgency": "routine", "person_agrees": "on",
            **changes}


@pytest.fixture
def first(stay, nursing_service, liaison_nurse):
    return send(stay, nursing_service, liaison_nurse)


def test_a_second_open_referral_to_the_same_service_is_refused(first, stay, nursing_service,
                                                               liaison_nurse):
    with pytest.raises(referrals.DuplicateReferral) as refused:
        send(stay, nursing_service, liaison_nurse)
    assert refused.value.existing == first
    assert refused.value.code == "duplicate_referral"
    assert list(Referral.objects.values_list("pk", flat=True)) == [first.pk]
    assert ReferralEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action="referral.send").count() == 1
    assert Notification.objects.filter(kind="referral.received").count() == 1


@pytest.mark.parametrize("status", [ReferralStatus.ACCEPTED, ReferralStatus.STARTED])
def test_accepted_and_started_referrals_are_open_too(first, stay, nursing_service,
                                                     liaison_nurse, status):
    Referral.objects.filter(pk=first.pk).update(status=status)
    with pytest.raises(referrals.DuplicateReferral):
        send(stay, nursing_service, liaison_nurse)
    assert Referral.objects.count() == 1


@pytest.mark.parametrize("status", [ReferralStatus.DECLINED, ReferralStatus.COMPLETED,
                                    ReferralStatus.CANCELLED])
def test_once_the_first_is_closed_the_service_may_be_asked_again(first, stay, nursing_service,
                                                                 liaison_nurse, status):
    Referral.objects.filter(pk=first.pk).update(status=status, decline_reason="no_capacity")
    again = send(stay, nursing_service, liaison_nurse)
    assert again.pk != first.pk and again.status == ReferralStatus.SENT


def test_the_database_refuses_a_second_open_referral(first):
    twin = Referral(**{field.attname: getattr(first, field.attname)
                       for field in Referral._meta.concrete_fields if not field.primary_key})
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    assert Referral.objects.count() == 1


def test_a_send_that_loses_the_race_is_refused_by_the_index(first, stay, nursing_service,
                                                            liaison_nurse, monkeypatch):
    """The other send committed after this one looked: the unique index answers, and the
    sender still gets the refusal with the referral that exists, nothing half-written."""
    looked = []
    real = referrals.open_referral_to

    def not_yet_committed(person, service):
        looked.append(person)
        return None if len(looked) == 1 else real(person, service)

    monkeypatch.setattr(referrals, "open_referral_to", not_yet_committed)
    with pytest.raises(referrals.DuplicateReferral) as refused:
        send(stay, nursing_service, liaison_nurse)
    assert refused.value.existing == first
    assert Referral.objects.count() == 1 and ReferralEvent.objects.count() == 1
    assert Notification.objects.filter(kind="referral.received").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite runs one writing transaction at a time: nothing to race")
@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_cannot_both_land(stay, nursing_service, liaison_nurse):
    start = threading.Barrier(2)
    outcomes = []

    def one_send():
        try:
            start.wait(timeout=10)
            outcomes.append(send(stay, nursing_service, liaison_nurse))
        except referrals.DuplicateReferral as refused:
            outcomes.append(refused)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    sent = [o for o in outcomes if isinstance(o, Referral)]
    refused = [o for o in outcomes if isinstance(o, referrals.DuplicateReferral)]
    assert (len(sent), len(refused)) == (1, 1)
    assert refused[0].existing == sent[0]
    assert Referral.objects.count() == 1


# --- through the pages -------------------------------------------------------------------


def test_the_form_page_refuses_and_links_to_the_referral_that_exists(persona_client, stay,
                                                                     nursing_service):
    client = persona_client("liaison_nurse")
    url = reverse("stays:referral_new", args=[stay.pk]) + f"?service={nursing_service.pk}"
    assert client.post(url, form_data()).status_code == 302
    first = Referral.objects.get()

    response = client.post(url, form_data(help_needed="Wound care, again"))

    assert response.status_code == 200
    text = response.content.decode()
    assert 'role="alert"' in text and "Nothing was sent." in text
    assert "This person already has an open referral to this service" in text
    assert f'href="{reverse("stays:referral_detail", args=[first.pk])}"' in text
    assert list(Referral.objects.values_list("pk", flat=True)) == [first.pk]
    assert ReferralEvent.objects.count() == 1


def test_the_form_page_says_so_before_anything_is_typed(persona_client, first, stay,
                                                       nursing_service):
    client = persona_client("liaison_nurse")
    url = reverse("stays:referral_new", args=[stay.pk]) + f"?service={nursing_service.pk}"
    text = client.get(url).content.decode()
    assert "This person already has an open referral to this service" in text
    assert f'href="{reverse("stays:referral_detail", args=[first.pk])}"' in text
    assert 'name="help_needed"' not in text  # no form to fill in vain


def test_the_message_is_translated(persona_client, first, stay, nursing_service, liaison_nurse):
    liaison_nurse.language = "fr"
    liaison_nurse.save()
    client = persona_client("liaison_nurse")
    url = reverse("stays:referral_new", args=[stay.pk]) + f"?service={nursing_service.pk}"
    text = client.post(url, form_data()).content.decode()
    assert "Rien n'a été envoyé." in text
    assert "This person already has an open referral" not in text


def test_the_match_page_links_to_the_open_referral_and_says_one_capacity_state(
        persona_client, first, stay, nursing_service):
    Service.objects.filter(pk=nursing_service.pk).update(capacity="waiting_list",
                                                         capacity_confirmed_on=date(2026, 3, 12))
    client = persona_client("liaison_nurse")
    page = client.get(reverse("stays:referral_new", args=[stay.pk]),
                      {"category": nursing_service.category, "urgency": "routine"})
    text = page.content.decode()
    assert f'href="{reverse("stays:referral_detail", args=[first.pk])}"' in text
    assert f"?service={nursing_service.pk}&amp;" not in text  # no second "Refer here"
    assert "! Waiting list (confirmed on 12/03/2026)" in text
    assert "Has room" not in text
