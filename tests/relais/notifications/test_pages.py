"""The inbox, the email choices, and the administrators' page of failed emails."""

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from relais.audit.models import AuditEvent
from relais.notifications import services
from relais.notifications.models import DeliveryStatus, EmailDelivery, Notification
from tests.conftest import PERSONAS
from tests.helpers import SIGNED_IN_QUERIES


def tell(user, n=1, kind="stay.admitted"):
    for i in range(n):
        services.notify(user, kind=kind, message=f"News {i}", link="/stays/1/")


# --- the inbox -------------------------------------------------------------------------


def test_the_inbox_shows_the_unread_count_and_links_the_choices(client, follower):
    tell(follower, 3)
    Notification.objects.filter(message="News 0").update(read_at="2026-11-01T10:00Z")
    client.force_login(follower)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert "2 unread" in html
    assert reverse("notifications:preferences") in html
    assert reverse("notifications:deliveries") not in html  # administrators only


def test_the_inbox_costs_the_same_queries_with_many_notifications(
        client, follower, django_assert_num_queries):
    client.force_login(follower)
    tell(follower, 3)
    client.get(reverse("notifications:inbox"))
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):  # count, page
        client.get(reverse("notifications:inbox"))
    tell(follower, 80)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 2):
        response = client.get(reverse("notifications:inbox"))
    assert len(response.context["page"].object_list) == 30


def test_mark_all_read_empties_the_unread_count(client, follower):
    tell(follower, 3)
    client.force_login(follower)
    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.unread().exists()
    assert "0 unread" in client.get(reverse("notifications:inbox")).content.decode()


def test_one_sees_only_ones_own_notifications(client, follower, gp):
    tell(gp)
    client.force_login(follower)
    assert list(client.get(reverse("notifications:inbox")).context["page"].object_list) == []


# --- the email choices -----------------------------------------------------------------


def test_the_choices_page_saves_each_group(client, follower):
    client.force_login(follower)
    page = client.get(reverse("notifications:preferences"))
    assert set(page.context["form"].fields) == {"booklet", "referrals", "stays",
                                                "consultations", "network"}
    assert "always emailed immediately" in page.content.decode()
    data = {"booklet": "digest", "referrals": "off", "stays": "immediate",
            "consultations": "immediate", "network": "off", "alerts": "off"}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert services.chosen_modes(follower) == {"booklet": "digest", "referrals": "off",
                                               "network": "off"}
    assert AuditEvent.objects.filter(action="notification.preferences", actor=follower).exists()
    again = client.get(reverse("notifications:preferences")).context["form"]
    assert again["booklet"].value() == "digest"


def test_an_unknown_choice_is_refused(client, follower):
    client.force_login(follower)
    response = client.post(reverse("notifications:preferences"), {"booklet": "hourly"})
    assert response.status_code == 200
    assert response.context["form"].errors["booklet"]
    assert services.chosen_modes(follower) == {}


def test_the_choices_page_needs_a_login(client):
    response = client.get(reverse("notifications:preferences"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- failed emails: platform administrators only ---------------------------------------


@pytest.fixture
def failed(follower):
    tell(follower)
    EmailDelivery.objects.update(status=DeliveryStatus.FAILED, attempts=5,
                                 last_error="SMTPDataError: (451, b'busy')",
                                 next_attempt_at=None)
    return EmailDelivery.objects.get()


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_platform_administrators_see_failed_emails(persona_client, persona, failed):
    response = persona_client(persona).get(reverse("notifications:deliveries"))
    expected = {"platform_admin": 200, "anonymous": 302}.get(persona, 404)
    assert response.status_code == expected
    if expected == 200:
        assert list(response.context["page"].object_list) == [failed]
        assert "gave up" in response.content.decode()


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "platform_admin"])
def test_others_cannot_send_again_and_nothing_changes(persona_client, persona, failed):
    response = persona_client(persona).post(reverse("notifications:send_again", args=[failed.pk]))
    assert response.status_code == (302 if persona == "anonymous" else 404)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 5)
    assert not DBTaskResult.objects.exists()


def test_send_again_queues_it_for_the_worker(client, platform_admin, failed,
                                             django_capture_on_commit_callbacks):
    client.force_login(platform_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:send_again", args=[failed.pk]))
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.QUEUED, 5)
    assert DBTaskResult.objects.get().task_result.args == [failed.pk]
    event = AuditEvent.objects.get(action="email.send_again")
    assert (event.actor, event.target_id) == (platform_admin, str(failed.pk))


def test_an_email_already_sent_is_not_sent_again(client, platform_admin, failed):
    EmailDelivery.objects.update(status=DeliveryStatus.SENT)
    client.force_login(platform_admin)
    client.post(reverse("notifications:send_again", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT
    assert not DBTaskResult.objects.exists()


def test_a_queued_email_the_worker_never_picked_up_shows_as_stalled(client, platform_admin,
                                                                    follower):
    from datetime import timedelta

    from django.utils import timezone

    tell(follower, 2)
    stalled, fresh = EmailDelivery.objects.order_by("pk")
    EmailDelivery.objects.filter(pk=stalled.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=20))
    client.force_login(platform_admin)
    page = client.get(reverse("notifications:deliveries")).context["page"]
    assert list(page.object_list) == [stalled]


def test_the_failed_emails_page_costs_fixed_queries(client, platform_admin, follower,
                                                    django_assert_num_queries):
    tell(follower, 3)
    EmailDelivery.objects.update(status=DeliveryStatus.FAILED)
    client.force_login(platform_admin)
    client.get(reverse("notifications:deliveries"))
    with django_assert_num_queries(SIGNED_IN_QUERIES + 3):  # count, page, counts by status
        client.get(reverse("notifications:deliveries"))
    tell(follower, 30)
    EmailDelivery.objects.update(status=DeliveryStatus.FAILED)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 3):
        client.get(reverse("notifications:deliveries"))
