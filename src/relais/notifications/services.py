"""Telling people things, only what they may see.

A notification stores the event (kind, person, target, parameters); its sentence is
written when it is read (`kinds.py`). It is created only if the recipient may see its
person and its target now (`rules.may_be_told`), and shown only while they still may
(`rules.visible_notifications`): excluded members, and the staff of an excluded
organisation, are never told, and a later exclusion hides what they were told before.

Whether it is also emailed follows the recipient's choice for its group of kinds:
immediately (one email, queued when the transaction commits and sent by the worker), in
the daily digest, or not at all. Alerts are always emailed immediately. The email itself
says only that there is something new (`emails.py`).

`notify_many` tells many news of one kind at once (the worker's timed work): the same
checks, asked of the gate once per recipient, and one immediate email per recipient
counting their news, where `notify` one by one would send one each.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from relais.audit import log as audit
from relais.notifications import kinds, rules
from relais.notifications.kinds import SWITCHABLE_GROUPS, EmailMode, mode_for
from relais.notifications.models import (
    DIGEST_KIND,
    DeliveryStatus,
    EmailDelivery,
    Notification,
    NotificationPreference,
)
from relais.notifications.tasks import enqueue_email


@dataclass(frozen=True)
class News:
    """One notification to write (see `notify`): to whom, about whom and what, and the
    parameters its sentence needs beyond the person and the target."""

    recipient: object
    person: object = None
    target: object = None
    params: dict = field(default_factory=dict)

    @property
    def about(self):
        # Read-time visibility follows the person: a target knows whose it is.
        return self.person if self.person is not None else getattr(self.target, "person", None)


def notify(recipient, *, kind: str, person=None, target=None,
           params: dict | None = None) -> Notification | None:
    """An in-app notification, written in the caller's transaction (kept or lost with it),
    and its email as the recipient chose, handed to the worker on commit.

    `params` hold only what the kind's sentence needs beyond the person and the target
    (a hospital's name, who answered); nothing is written if the recipient may not see
    the person or the target now."""
    return notify_many(kind, [News(recipient, person, target, params or {})])[0]


def notify_many(kind: str, news: Sequence[News]) -> list[Notification | None]:
    """`notify` for many news of one kind at once (the worker's timed work), in a number
    of queries that grows with the recipients, not with the news: the gate is asked once
    per recipient (`rules.told_about`), the notifications are written in one insert, and
    each recipient who chose immediate emails gets one email for all their news here.
    Returns each item's notification, or None where nothing was written."""
    registered = kinds.get(kind)
    for label in {_label(item.target) for item in news}:
        _check(registered, kind, label)
    told = _may_be_told(news)
    modes = _email_modes([news[i].recipient for i in told], kind)
    notifications = [_notification(kind, news[i], modes[news[i].recipient.pk]) for i in told]
    Notification.objects.bulk_create(notifications)
    _queue_immediate(kind, notifications, modes)
    written: list[Notification | None] = [None] * len(news)
    for index, notification in zip(told, notifications, strict=True):
        written[index] = notification
    return written


def _label(target) -> str:
    return target._meta.label_lower if target is not None else ""


def _may_be_told(news: Sequence[News]) -> list[int]:
    """The indexes of the news their recipient may be told (`rules.may_be_told`)."""
    by_recipient: dict[int, list[int]] = defaultdict(list)
    for index, item in enumerate(news):
        if item.recipient is not None and item.recipient.is_active:
            by_recipient[item.recipient.pk].append(index)
    return sorted(index for indexes in by_recipient.values()
                  for index in _told_of(news, indexes))


def _told_of(news: Sequence[News], indexes: list[int]) -> list[int]:
    """Of one recipient's news, those about persons and targets the gate shows them."""
    items = [news[i] for i in indexes]
    targets = [item.target for item in items if item.target is not None]
    persons, shown = rules.told_about(
        items[0].recipient, person_ids={item.about.pk for item in items if item.about},
        target_label=_label(targets[0]) if targets else "",
        target_ids={target.pk for target in targets})
    return [index for index, item in zip(indexes, items, strict=True)
            if (item.about is None or item.about.pk in persons)
            and (item.target is None or shown is None or item.target.pk in shown)]


def _notification(kind: str, item: News, mode: str) -> Notification:
    return Notification(recipient=item.recipient, kind=kind, person=item.about,
                        target_type=_label(item.target),
                        target_id=item.target.pk if item.target is not None else None,
                        params=item.params, in_digest=mode == EmailMode.DIGEST)


def _queue_immediate(kind: str, notifications: list[Notification], modes: dict) -> None:
    """One email per recipient who chose immediate emails, counting their news. The worker
    checks before sending that the first of them is still shown to them; the email says
    only how many there are (`emails.py`)."""
    by_recipient: dict[int, list[Notification]] = defaultdict(list)
    for notification in notifications:
        if modes[notification.recipient_id] == EmailMode.IMMEDIATE:
            by_recipient[notification.recipient_id].append(notification)
    for theirs in by_recipient.values():
        queue_email(theirs[0].recipient, kind=kind, items=len(theirs), notification=theirs[0])


def _check(registered, kind: str, label: str) -> None:
    """A kind nobody registered could not be rendered, and a target of another type than
    the kind declares would never be checked: both are programming errors."""
    if registered is None:
        raise LookupError(f"unknown notification kind {kind!r}: register it in the "
                          "feature's notices.py")
    if label != registered.target:
        raise ValueError(f"{kind}: target {label or 'none'!r}, expected "
                         f"{registered.target or 'none'!r}")


def email_mode(user, kind: str) -> str:
    if not user.email:
        return EmailMode.OFF
    return mode_for(kind, chosen_modes(user))


def _email_modes(recipients: list, kind: str) -> dict[int, str]:
    """`email_mode` for each recipient, their choices read in one query."""
    chosen: dict[int, dict[str, str]] = defaultdict(dict)
    rows = NotificationPreference.objects.filter(user__in={user.pk for user in recipients})
    for user_id, group, mode in rows.values_list("user", "group", "mode"):
        chosen[user_id][group] = mode
    return {user.pk: mode_for(kind, chosen[user.pk]) if user.email else EmailMode.OFF
            for user in recipients}


def chosen_modes(user) -> dict[str, str]:
    """The user's choices per group; a group without a row is emailed immediately."""
    return dict(NotificationPreference.objects.filter(user=user).values_list("group", "mode"))


def queue_email(recipient, *, kind: str, items: int = 1,
                notification: Notification | None = None) -> EmailDelivery:
    """The delivery row is written with the caller's transaction, so the email exists
    exactly when the news does; the worker gets it once that transaction commits."""
    delivery = EmailDelivery.objects.create(recipient=recipient, kind=kind, items=items,
                                            notification=notification,
                                            next_attempt_at=timezone.now())
    # robust: a queue that cannot be reached must not turn a committed change into an
    # error page; the delivery stays queued and shows on the deliveries page.
    transaction.on_commit(lambda: enqueue_email(delivery.pk), robust=True)
    return delivery


def mark_read(user, notification_ids) -> int:
    """Mark the user's unread notifications among `notification_ids` as read."""
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

    Only what is still unread, still shown to them and still wanted by email is counted;
    a user who read everything in the app gets no email. Run daily by the worker's
    clock (`queue_digests_at`), or by hand with `relais manage send_digests`.
    """
    waiting = Notification.objects.filter(in_digest=True).values("recipient").distinct()
    users = get_user_model().objects.filter(pk__in=waiting).order_by("pk")
    return sum(_queue_digest(user) for user in users)


def queue_digests_at(now) -> int:
    """The daily job of the worker's clock (`core.clock`)."""
    return queue_digests()


@transaction.atomic
def _queue_digest(user) -> int:
    due = Notification.objects.filter(recipient=user, in_digest=True)
    kinds_shown = list(Notification.objects.visible_to(user).unread().filter(in_digest=True)
                       .values_list("kind", flat=True))
    due.update(in_digest=False)
    chosen = chosen_modes(user)
    items = sum(1 for kind in kinds_shown if mode_for(kind, chosen) != EmailMode.OFF)
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
