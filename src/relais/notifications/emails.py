"""Composing and sending the emails, one `EmailDelivery` at a time (called by the worker).

An email never carries the notification's message, the person or any health detail:
its subject and body are fixed texts and a link to the inbox, in the recipient's
language. The one exception is news about nobody whose kind says so (`email_says_it`:
a thematic consultation's save-the-date, an overdue joint action): its email says the
sentence and links the page itself.

A failed send is recorded on the row and tried again later, up to `MAX_ATTEMPTS` times;
after that it stays visible as failed until someone sends it again.

Before sending an immediate email the worker checks, through the gate, that its
recipient may still see the notification: an exclusion or a withdrawn consent between
the news and the send cancels the email (the reason is kept on the row).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from relais.notifications import kinds
from relais.notifications.models import (
    PENDING_STATUSES,
    DeliveryStatus,
    EmailDelivery,
    Notification,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Wait after the 1st, 2nd, 3rd and 4th failed attempt: a mail server that is down for
# maintenance gets more than two and a half hours to come back.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                timedelta(hours=2))
SMTP_TIMEOUT_SECONDS = 30
# What a mail server answers is cut to what the row keeps.
ERROR_LENGTH = EmailDelivery._meta.get_field("last_error").max_length
TEMPLATES = tuple(f"notifications/email/{name}.txt" for name in (
    "notification_subject", "notification_body", "digest_subject", "digest_body"))


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_at: datetime | None = None


def compose(delivery: EmailDelivery) -> EmailMessage:
    """The email for this delivery. Its context holds no notification: nothing to leak."""
    recipient = delivery.recipient
    name = "digest" if delivery.is_digest else "notification"
    context = {"count": delivery.items,
               "inbox_url": settings.RELAIS_BASE_URL + reverse("notifications:inbox"),
               "preferences_url": settings.RELAIS_BASE_URL + reverse("notifications:preferences")}
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        context.update(_said(delivery))
        subject = render_to_string(f"notifications/email/{name}_subject.txt", context)
        body = render_to_string(f"notifications/email/{name}_body.txt", context)
    return EmailMessage(" ".join(subject.split()), body.strip() + "\n", to=[recipient.email])


def _said(delivery: EmailDelivery) -> dict:
    """The sentence and the page's address of one news about nobody, when its kind lets
    the email say it (in the active language); nothing otherwise."""
    notification = delivery.notification if delivery.items == 1 else None
    kind = kinds.get(notification.kind) if notification is not None else None
    if kind is None or not kind.email_says_it or notification.person_id is not None:
        return {}
    link = notification.link
    return {"sentence": notification.sentence,
            "page_url": settings.RELAIS_BASE_URL + link if link else ""}


def deliver(delivery_id: int) -> Outcome:
    """Try to send one delivery once; record what happened on its row."""
    delivery = EmailDelivery.objects.select_related("recipient").filter(pk=delivery_id).first()
    if delivery is None or delivery.status not in PENDING_STATUSES:
        return Outcome("nothing to do")
    if not _claim(delivery):
        return Outcome("taken by another worker")
    reason = _why_not(delivery)
    if reason:
        _finish(delivery, DeliveryStatus.CANCELLED, next_attempt_at=None, last_error=reason)
        return Outcome(DeliveryStatus.CANCELLED)
    try:
        _send(compose(delivery))
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded and retried
        return _failed(delivery, error)
    _finish(delivery, DeliveryStatus.SENT, sent_at=timezone.now(), last_error="",
            next_attempt_at=None)
    return Outcome(DeliveryStatus.SENT)


def _claim(delivery: EmailDelivery) -> bool:
    """Count the attempt first; a second worker holding the same task finds it taken."""
    now = timezone.now()
    claimed = EmailDelivery.objects.filter(
        pk=delivery.pk, attempts=delivery.attempts, status__in=PENDING_STATUSES,
    ).update(attempts=F("attempts") + 1, last_attempt_at=now)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    return claimed == 1


def _why_not(delivery: EmailDelivery) -> str:
    """Why this email must not be sent (for the row, in English like the SMTP errors),
    or "" when it may."""
    recipient = delivery.recipient
    if not (recipient.is_active and recipient.email):
        return "The recipient is inactive or has no email address."
    if delivery.is_digest:
        return ""
    if delivery.notification_id is None:
        return "Its notification no longer exists."
    shown = Notification.objects.visible_to(recipient).filter(pk=delivery.notification_id)
    if not shown.exists():
        return "Its notification is no longer shown to the recipient (exclusion or consent)."
    return ""


def _send(message: EmailMessage) -> None:
    # Without a timeout a mail server that accepts the connection and then hangs would
    # stall the worker, and every email behind this one.
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or SMTP_TIMEOUT_SECONDS
    message.connection = get_connection(timeout=timeout)
    message.send()


def _failed(delivery: EmailDelivery, error: Exception) -> Outcome:
    retry_at = None
    if delivery.attempts < MAX_ATTEMPTS:
        retry_at = timezone.now() + RETRY_DELAYS[delivery.attempts - 1]
    logger.warning("Email delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts,
                   error)
    _finish(delivery, DeliveryStatus.FAILED,
            last_error=f"{type(error).__name__}: {error}"[:ERROR_LENGTH],
            next_attempt_at=retry_at)
    return Outcome(DeliveryStatus.FAILED, retry_at)


def _finish(delivery: EmailDelivery, status: str, **fields) -> None:
    fields["status"] = status
    EmailDelivery.objects.filter(pk=delivery.pk).update(**fields)
    for name, value in fields.items():
        setattr(delivery, name, value)
