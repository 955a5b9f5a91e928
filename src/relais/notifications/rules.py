"""Who sees a notification, and who sees the email deliveries.

A notification is shown to its recipient only while the gate still shows them its person
and its target: the inbox, the unread count, the digest and the worker (before it sends
an email) all go through `visible_notifications`, so an exclusion or a withdrawn consent
hides what was already delivered. `may_be_told` is the same rule for news not written
yet: `notify()` asks it, so nothing is created that the recipient could not read.

Objects are named by their label ("stays.stay") and asked of the gate by that label
(`policy.visible_pks`): this app imports no feature. A target whose model has no policy
in the gate is decided by the person's rule alone.

Email deliveries are for platform administrators only (they hold no health data, but
they name who was told something, and when).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from relais.access.policy import (
    Action,
    Policy,
    is_platform_admin,
    register,
    sees,
    visible_pks,
)
from relais.notifications import kinds
from relais.notifications.models import EmailDelivery, Notification

PERSON_LABEL = "network.person"


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def visible_notifications(user, queryset: QuerySet) -> QuerySet:
    """The user's own notifications whose person and target the gate still shows them."""
    if not _signed_in(user):
        return queryset.none()
    return queryset.filter(_person_shown(user), _target_shown(user), recipient=user)


def _person_shown(user) -> Q:
    persons = visible_pks(user, PERSON_LABEL).filter(pk=OuterRef("person_id"))
    return Q(person__isnull=True) | Q(Exists(persons))


def _target_shown(user) -> Q:
    shown = Q(target_type="")
    for label in kinds.target_labels():
        pks = _visible_target_pks(user, label)
        if pks is None:
            shown |= Q(target_type=label)
        else:
            # The type first: the database checks the target's rule only on its rows.
            shown |= Q(target_type=label) & Q(Exists(pks.filter(pk=OuterRef("target_id"))))
    return shown


def _visible_target_pks(user, label: str) -> QuerySet | None:
    """The gate's visible keys for `label`, or None when the gate has no rule for it."""
    try:
        return visible_pks(user, label)
    except LookupError:
        return None


def may_be_told(user, *, person=None, target=None) -> bool:
    """Whether a notification about `person` and `target` would be shown to `user` now."""
    if not _signed_in(user):
        return False
    if person is not None and not sees(user, person):
        return False
    if target is None:
        return True
    pks = _visible_target_pks(user, target._meta.label_lower)
    return pks is None or pks.filter(pk=target.pk).exists()


def may_on_notification(user, notification, action: Action) -> bool:
    return action == Action.VIEW and notification.recipient_id == user.pk


def visible_deliveries(user, queryset: QuerySet) -> QuerySet:
    return queryset if is_platform_admin(user) else queryset.none()


def may_on_delivery(user, delivery, action: Action) -> bool:
    return is_platform_admin(user)


def register_policies() -> None:
    register(Notification, Policy(visible=visible_notifications, allows=may_on_notification))
    register(EmailDelivery, Policy(visible=visible_deliveries, allows=may_on_delivery))
