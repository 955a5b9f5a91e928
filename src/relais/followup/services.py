"""Telling people things. Excluded ("never inform") members are never told anything."""

from relais.followup.models import Notification


def notify(recipient, *, kind: str, message: str, link: str = "", person=None) -> None:
    """An in-app notification, written in the caller's transaction (kept or lost with it)."""
    if recipient is None or not recipient.is_active:
        return
    if person is not None and _is_excluded(recipient, person):
        return
    Notification.objects.create(recipient=recipient, person=person, kind=kind,
                                message=message, link=link)


def _is_excluded(user, person) -> bool:
    return person.members.filter(user=user, never_inform=True).exists()


def mark_read(user, notification_ids) -> int:
    from django.utils import timezone

    return Notification.objects.filter(recipient=user, pk__in=notification_ids,
                                       read_at__isnull=True).update(read_at=timezone.now())
