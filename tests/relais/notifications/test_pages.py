"""The inbox, the email choices, and the administrators' page of failed emails."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from relais.audit.models import AuditEvent
from relais.booklet.models import Consultation
from relais.notifications import kinds, services
from relais.notifications.models import DeliveryStatus, EmailDelivery, Notification
from tests.conftest import PERSONAS
from tests.helpers import SIGNED_IN_QUERIES
from tests.relais.notifications.conftest import join

# --- the inbox -------------------------------------------------------------------------


def test_the_inbox_shows_the_unread_count_and_links_the_choices(client, follower, tell):
    first, *_ = tell(follower, n=3)
    Notification.objects.filter(pk=first.pk).update(read_at="2026-11-01T10:00Z")
    client.force_login(follower)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert "2 unread" in html
    assert reverse("notifications:preferences") in html
    assert reverse("notifications:deliveries") not in html  # administrators only


def test_mark_all_read_empties_the_unread_count(client, follower, tell):
    tell(follower, n=3)
    client.force_login(follower)
    client.post(reverse("notifications:mark_all_read"))
    assert not Notification.objects.unread().exists()
    assert "0 unread" in client.get(reverse("notifications:inbox")).content.decode()


def test_one_sees_only_ones_own_notifications(client, follower, gp, zebulon, tell):
    join(zebulon, gp)
    tell(gp)
    client.force_login(follower)
    assert list(client.get(reverse("notifications:inbox")).context["page"].object_list) == []


MIXED_KINDS = ["stay.admitted", "stay.discharged", "booklet.alert", "booklet.entry",
               "network.added", "network.contact_point", "network.break_glass",
               "emergency.outdated", "consultation.invited", "consultation.answered",
               "consultation.decided", "consultation.reminder"]
PARAMS = {"hospital": "Hôpital Test", "name": "Sophie Lambert", "who": "Dr Test",
          "asker": "Dr Test", "deadline": "2026-12-24T10:00:00+01:00"}


def many_notifications(n, *, recipient, person, stay, alert, consultation):
    """n notifications of mixed kinds, written as notify() writes them (in bulk: fast)."""
    target_ids = {"stays.stay": stay.pk, "booklet.entry": alert.pk,
                  "booklet.consultation": consultation.pk}
    rows = []
    for i in range(n):
        kind = kinds.get(MIXED_KINDS[i % len(MIXED_KINDS)])
        rows.append(Notification(recipient=recipient, kind=kind.key, person=person,
                                 target_type=kind.target, target_id=target_ids.get(kind.target),
                                 params=PARAMS))
    Notification.objects.bulk_create(rows)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_inbox_costs_the_same_queries_for_10_or_1000_notifications(
        client, follower, zebulon, stay, alert, n, django_assert_num_queries):
    consultation = Consultation.objects.create(
        person=zebulon, question="Visit?", asked_by=follower,
        deadline=timezone.now() + timedelta(days=1))
    many_notifications(n, recipient=follower, person=zebulon, stay=stay, alert=alert,
                       consultation=consultation)
    client.force_login(follower)
    client.get(reverse("notifications:inbox"))
    # The page comes with its persons, the total and the unread count in one query, which
    # stands in for the header's own unread count.
    with django_assert_num_queries(SIGNED_IN_QUERIES):
        response = client.get(reverse("notifications:inbox"))
    page = response.context["page"]
    assert (page.paginator.count, len(page.object_list)) == (n, min(n, 30))
    assert response.context["unread_notifications"] == n
    html = response.content.decode()
    assert {notification.kind for notification in page} == set(MIXED_KINDS[:min(n, 30)])
    with translation.override("en"):  # the follower's language
        for notification in page:
            assert notification.sentence in html.replace("&#x27;", "'")
    assert "…" not in html


# --- the email choices -----------------------------------------------------------------


def test_the_choices_page_saves_each_group(client, follower):
    client.force_login(follower)
    page = client.get(reverse("notifications:preferences"))
    assert set(page.context["form"].fields) == {"booklet", "referrals", "stays", "followup",
                                                "consultations", "network"}
    assert "always emailed immediately" in page.content.decode()
    assert "After discharge" in page.content.decode()
    data = {"booklet": "digest", "referrals": "off", "stays": "immediate",
            "followup": "digest", "consultations": "immediate", "network": "off",
            "alerts": "off"}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert services.chosen_modes(follower) == {"booklet": "digest", "referrals": "off",
                                               "followup": "digest", "network": "off"}
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
def failed(follower, tell):
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
                                                                    follower, tell):
    tell(follower, n=2)
    stalled, fresh = EmailDelivery.objects.order_by("pk")
    EmailDelivery.objects.filter(pk=stalled.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=20))
    client.force_login(platform_admin)
    page = client.get(reverse("notifications:deliveries")).context["page"]
    assert list(page.object_list) == [stalled]


def test_the_failed_emails_page_costs_fixed_queries(client, platform_admin, follower, tell,
                                                    django_assert_num_queries):
    tell(follower, n=3)
    EmailDelivery.objects.update(status=DeliveryStatus.FAILED)
    client.force_login(platform_admin)
    client.get(reverse("notifications:deliveries"))
    with django_assert_num_queries(SIGNED_IN_QUERIES + 3):  # count, page, counts by status
        client.get(reverse("notifications:deliveries"))
    tell(follower, n=30)
    EmailDelivery.objects.update(status=DeliveryStatus.FAILED)
    with django_assert_num_queries(SIGNED_IN_QUERIES + 3):
        client.get(reverse("notifications:deliveries"))
