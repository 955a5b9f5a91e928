"""The worker sends through a real SMTP server on loopback, and retries what failed.

These tests commit (the email is handed to the queue on commit) and run the real worker,
`relais worker --batch`, against aiosmtpd on 127.0.0.1.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from relais.notifications import emails, services
from relais.notifications.models import DeliveryStatus, EmailDelivery
from tests.relais.notifications.conftest import (
    SECRETS,
    as_if_time_passed,
    body_of,
    run_worker,
    waiting_tasks,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def told(tell):
    """Tell the user of Zébulon's admission; their email delivery."""
    def told(user):
        tell(user)
        return EmailDelivery.objects.get(recipient=user)

    return told


def test_the_worker_sends_the_email_through_smtp(smtp, follower, told):
    smtp.start()
    delivery = told(follower)
    assert waiting_tasks().count() == 1
    run_worker()
    [message] = smtp.mailbox.messages
    assert message["To"] == follower.email
    assert message["Subject"] == "Relais: something new for you"
    text = message["Subject"] + body_of(message)
    assert "http://127.0.0.1:8000/inbox/" in text
    for secret in SECRETS:
        assert secret not in text
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 1,
                                                                         "")
    assert delivery.sent_at is not None
    assert not waiting_tasks().exists()


def test_a_refused_send_is_recorded_then_retried_after_its_delay(smtp, follower, told):
    smtp.start()
    smtp.mailbox.refuse_next = 1
    delivery = told(follower)
    before = timezone.now()
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error.startswith("SMTPDataError: (451, b'4.3.0 Mailbox busy")
    assert smtp.mailbox.refused == 1 and smtp.mailbox.messages == []
    # The next attempt waits a minute: the worker does not send before then.
    [retry] = waiting_tasks()
    assert retry.run_after == delivery.next_attempt_at
    assert before + timedelta(minutes=1) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + timedelta(minutes=1)
    run_worker()
    assert smtp.mailbox.messages == []
    as_if_time_passed()
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.SENT, 2, None)
    assert len(smtp.mailbox.messages) == 1
    assert not waiting_tasks().exists()


def test_a_server_not_listening_the_first_time(smtp, follower, told):
    delivery = told(follower)
    run_worker()  # nothing listens on the port yet
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error.startswith("ConnectionRefusedError")
    smtp.start()
    as_if_time_passed()
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(smtp.mailbox.messages) == 1


def test_after_five_failures_it_stays_visible_until_sent_again(smtp, follower, platform_admin,
                                                               client, told):
    smtp.start()
    smtp.mailbox.refuse_next = emails.MAX_ATTEMPTS
    delivery = told(follower)
    for _ in range(emails.MAX_ATTEMPTS):
        run_worker()
        as_if_time_passed()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.gave_up) == (
        DeliveryStatus.FAILED, emails.MAX_ATTEMPTS, True)
    assert not waiting_tasks().exists()
    # A platform administrator sees it and sends it again once the server is back.
    client.force_login(platform_admin)
    page = client.get(reverse("notifications:deliveries"))
    assert list(page.context["page"].object_list) == [delivery]
    assert "451" in page.content.decode()
    client.post(reverse("notifications:send_again", args=[delivery.pk]))
    run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, emails.MAX_ATTEMPTS + 1)
    assert len(smtp.mailbox.messages) == 1
    assert list(client.get(reverse("notifications:deliveries")).context["page"].object_list) == []


def test_the_digest_is_sent_by_the_worker_too(smtp, follower, tell):
    smtp.start()
    services.set_email_modes(follower, {"stays": "digest"}, actor=follower)
    tell(follower, n=2)
    assert not waiting_tasks().exists()
    services.queue_digests()
    run_worker()
    [message] = smtp.mailbox.messages
    assert message["Subject"] == "Relais: 2 new items for you"
