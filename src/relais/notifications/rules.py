"""Who sees a notification, and who sees the email deliveries.

A notification is shown to its recipient only while the gate still shows them its person
(its target was checked when it was written): the inbox, the unread count, the digest
and the worker (before it sends an email) all go through `visible_notifications`, so an
exclusion or a withdrawn consent hides what was already delivered. `may_be_told` asks
the same of news not written yet (the person and the target): `notify()` asks it, so
nothing is created that the recipient could not read.

Objects are named by their label ("stays.stay") and asked of the gate by that label
(`policy.visible_pks`): this app imports no feature. A target whose model has no policy
in the gate is decided by the person's rule alone. Every notification names its person
(`notify` requires one); a row about nobody and nothing (carried over from the old app)
is shown.

Email deliveries are for platform administrators only (they hold no health data, but
they name who was told something, and when).
"""

from django.db.models import Q, QuerySet

from relais.access.persons import visible_person_pks
from relais.access.policy import (
    Action,
    Policy,
    is_platform_admin,
    register,
    registered_model,
    sees,
    visible_pks,
)
from relais.notifications.models import EmailDelivery, Notification

PERSON_LABEL = "network.person"


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def visible_notifications(user, queryset: QuerySet) -> QuerySet:
    """The user's own notifications about persons the gate still shows them.

    When read, the person decides: an exclusion (of the reader, or of an organisation
    they act for) or a withdrawn consent hides the rows at once. The target was checked
    when the notification was written (`may_be_told`); the sentence names no more than
    the person and who or where, and its link goes through the gate again. Asking the
    person's rule once — not each target type's rule, which each contain it — keeps the
    unread count in every page's header cheap (issue 11)."""
    if not _signed_in(user):
        return queryset.none()
    # The visible-persons subquery the gate keeps compiled across requests: the header's
    # count on every page builds no question once the user has asked it.
    persons = visible_person_pks(user, registered_model(PERSON_LABEL).objects.all())
    about_nobody = Q(person__isnull=True, target_type="")
    return queryset.filter(Q(person_id__in=persons) | about_nobody, recipient=user)


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


def told_about(user, *, person_ids, target_label: str = "", target_ids=()) -> tuple[set, set]:
    """`may_be_told` for many at once: of these persons and of these `target_label`
    objects, those `user` may see now — one query for the persons, one for the targets
    (`None` for the targets when the gate has no rule for them: the person decides)."""
    if not _signed_in(user):
        return set(), set()
    persons = set(_visible_persons_among(user, person_ids)) if person_ids else set()
    pks = _visible_target_pks(user, target_label) if target_label else None
    targets = (set(pks.filter(pk__in=target_ids).values_list("pk", flat=True))
               if pks is not None and target_ids else None)
    return persons, targets


def _visible_persons_among(user, person_ids):
    """Of `person_ids`, those the gate shows `user`: through the visible-persons subquery
    kept compiled across calls (`visible_person_pks`), as the inbox reads them. The
    worker's timed work asks this once per recipient, and building the gate's question
    afresh each time cost more than the query."""
    persons = registered_model(PERSON_LABEL).objects
    return persons.filter(pk__in=person_ids).filter(
        pk__in=visible_person_pks(user, persons.all())).values_list("pk", flat=True)


def may_on_notification(user, notification, action: Action) -> bool:
    return action == Action.VIEW and notification.recipient_id == user.pk


def visible_deliveries(user, queryset: QuerySet) -> QuerySet:
    return queryset if is_platform_admin(user) else queryset.none()


def may_on_delivery(user, delivery, action: Action) -> bool:
    return is_platform_admin(user)


def register_policies() -> None:
    register(Notification, Policy(visible=visible_notifications, allows=may_on_notification))
    register(EmailDelivery, Policy(visible=visible_deliveries, allows=may_on_delivery))
