"""Telling people things. Excluded ("never inform") members are never told anything.

A notification lives in the recipient's inbox. Whether it is also emailed follows the
recipient's choice for its group of kinds (`kinds.py`): immediately (one email, queued
when the transaction commits and sent by the worker), in the daily digest, or not at all.
Alerts are always emailed immediately. The email itself says only that there is
something new (`emails.py`).
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from relais.audit import log as audit
from relais.notifications.kinds import SWITCHABLE_GROUPS, EmailMode, mode_for
from relais.notifications.models import (
    DIGEST_KIND,
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationPreference,
)
from relais.notifications.tasks import enqueue_email


def notify(recipient, *, kind: str, message: str, link: str = "", person=None) -> None:
    """An in-app notification, written in the caller's transaction (kept or lost with it),
    and its email as the recipient chose, handed to the worker on commit."""
    if recipient is None or not recipient.is_active:
        return
    if person is not None and _is_excluded(recipient, person):
        return
    mode = email_mode(recipient, kind)
    Notification.objects.create(recipient=recipient, person=person, kind=kind,
                                message=message, link=link,
                                in_digest=mode == EmailMode.DIGEST)
    if mode == EmailMode.IMMEDIATE:
        queue_email(recipient, kind=kind)


def _is_excluded(user, person) -> bool:
    return person.members.filter(user=user, never_inform=True).exists()


def email_mode(user, kind: str) -> str:
    if not user.email:
        return EmailMode.OFF
    return mode_for(kind, chosen_modes(user))


def chosen_modes(user) -> dict[str, str]:
    """The user's choices per group; a group without a row is emailed immediately."""
    return dict(NotificationPreference.objects.filter(user=user).values_list("group", "mode"))


def queue_email(recipient, *, kind: str, items: int = 1) -> EmailDelivery:
    """The delivery row is written with the caller's transaction, so the email exists
    exactly when the news does; the worker gets it once that transaction commits."""
    delivery = EmailDelivery.objects.create(recipient=recipient, kind=kind, items=items,
                                            next_attempt_at=timezone.now())
    # robust: a queue that cannot be reached must not turn a committed change into an
    # error page; the delivery stays queued and shows on the deliveries page.
    transaction.on_commit(lambda: enqueue_email(delivery.pk), robust=True)
    return delivery


def mark_read(user, notification_ids) -> int:
    return Notification.objects.filter(recipient=user, pk__in=notification_ids,
                                       read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def set_email_modes(user, modes: dict[str, str], *, actor) -> list[str]:
    """Save the user's choice per switchable group (alerts cannot be switched off)."""
    before = chosen_modes(user)
    changed = [group.key for group in SWITCHABLE_GROUPS if group.key in modes
               and modes[group.key] != before.get(group.key, EmailMode.IMMEDIATE)]
    for key in changed:
        NotificationPreference.objects.update_or_create(user=user, group=key,
                                                        defaults={"mode": modes[key]})
    if changed:
        audit.record("notification.preferences", actor=actor, target=user,
                     detail={key: modes[key] for key in changed})
    return changed


def queue_digests() -> int:
    """One email per user with notifications waiting for the digest; returns how many.

    Only what is still unread, and still wanted by email, is counted; a user who read
    everything in the app gets no email. Run daily (`relais manage send_digests`).
    """
    waiting = Notification.objects.filter(in_digest=True).values("recipient").distinct()
    users = get_user_model().objects.filter(pk__in=waiting).order_by("pk")
    return sum(_queue_digest(user) for user in users)


@transaction.atomic
def _queue_digest(user) -> int:
    rows = list(Notification.objects.filter(recipient=user, in_digest=True)
                .values_list("pk", "kind", "read_at"))
    Notification.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(in_digest=False)
    chosen = chosen_modes(user)
    items = sum(1 for _, kind, read_at in rows
                if read_at is None and mode_for(kind, chosen) != EmailMode.OFF)
    if not items or not user.is_active or not user.email:
        return 0
    queue_email(user, kind=DIGEST_KIND, items=items)
    return 1


@transaction.atomic
def send_again(delivery: EmailDelivery, *, actor) -> bool:
    """A platform administrator sends a failed (or stalled) email again, now.

    An email already sent is not sent twice (False)."""
    if delivery.status == DeliveryStatus.SENT:
        return False
    EmailDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.QUEUED,
                                                        next_attempt_at=timezone.now())
    audit.record("email.send_again", actor=actor, target=delivery,
                 detail={"attempts": delivery.attempts, "status": delivery.status})
    transaction.on_commit(lambda: enqueue_email(delivery.pk), robust=True)
    return True
