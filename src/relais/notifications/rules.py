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

Who was told what about a person (GDPR art. 15(1)(c), the recipients of their data) is
read by those who speak for the person: `visible_disclosures`, below, says why.

Email deliveries are for platform administrators only (they hold no health data, but
they name who was told something, and when).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, Q, QuerySet

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


# --- who was told what about a person ---------------------------------------------------
#
# A notification discloses something about its person to its recipient: the person's
# copy of their data (rights/export.py) names those recipients (GDPR art. 15(1)(c)).
# Decided here, with the notifications:
#
# * Who reads them: the person themselves, their contact point, and whoever exercises the
#   person's rights in their name now (the network's rule, network.rules._represents:
#   the representative with a mandate in force or the administrator with a court order
#   in force, while the person is judged unable to exercise their rights; a minor's legal
#   representative, unless the minor is judged able: DOMAIN.md §1). They exercise the
#   person's right to know; the contact point is whom the person chose to speak for them
#   (R5). Professionals do not: their copy shows
#   the notifications they received, as their inbox does. Who was told what is the
#   person's to know, not the network's, and a professional does not read a colleague's
#   inbox.
# * What a row says: to whom (named as "who looked at this record" names people), the
#   kind's label, when. Never the sentence of someone else's notification: it names what
#   the target's own rule guards (a hospital, a service, who answered), and the reader
#   may not see that stay, referral or booklet entry. The label says no more than the
#   access log already shows the same readers ("… wrote in the booklet").
# * Recipients the person has excluded ("never inform", on them or on an organisation
#   they act for) are left out: no portal user sees an exclusion (network rule 2), and an
#   excluded member appears on nothing printed (R14). What they were told before is
#   kept (rows are never deleted) and shown to nobody.
#
# Who speaks for a person, and whom they excluded, is the network's to say: it registers
# both here (`register_person_side`), as this app imports no feature.


@dataclass(frozen=True)
class PersonSide:
    # user -> the pks of the persons `user` speaks for (one column, for `__in`)
    speaks_for: Callable[[object], QuerySet]
    # () -> a condition over Notification rows: their recipient is excluded by their
    # person now
    recipient_excluded: Callable[[], Exists]


PERSON_SIDES: dict[str, PersonSide] = {}


def register_person_side(name: str, side: PersonSide) -> None:
    PERSON_SIDES[name] = side


def _spoken_for(user, field: str) -> Q | None:
    """Rows whose `field` names a person `user` speaks for; None for nobody."""
    if not (_signed_in(user) and PERSON_SIDES):
        return None
    return Q(*[Q(**{f"{field}__in": side.speaks_for(user)}) for side in PERSON_SIDES.values()],
             _connector=Q.OR)


def reads_disclosures(user, person) -> bool:
    """Whether `user` speaks for `person`, and so reads who was told what about them (one
    query; whether the gate shows them the person is the caller's: they loaded it)."""
    spoken_for = _spoken_for(user, "pk")
    return spoken_for is not None and registered_model(PERSON_LABEL).objects.filter(
        spoken_for, pk=person.pk).exists()


def visible_disclosures(user, queryset: QuerySet) -> QuerySet:
    """The notifications in `queryset`, whoever received them, about the persons `user`
    speaks for and still sees, less those to recipients the person excluded: to show
    their recipient, kind and time (see above), the sentence of the reader's own only."""
    spoken_for = _spoken_for(user, "person_id")
    if spoken_for is None:
        return queryset.none()
    persons = visible_person_pks(user, registered_model(PERSON_LABEL).objects.all())
    rows = queryset.filter(spoken_for, person_id__in=persons)
    for side in PERSON_SIDES.values():
        rows = rows.exclude(side.recipient_excluded())
    return rows


def may_on_notification(user, notification, action: Action) -> bool:
    return action == Action.VIEW and notification.recipient_id == user.pk


def visible_deliveries(user, queryset: QuerySet) -> QuerySet:
    return queryset if is_platform_admin(user) else queryset.none()


def may_on_delivery(user, delivery, action: Action) -> bool:
    return is_platform_admin(user)


def register_policies() -> None:
    register(Notification, Policy(visible=visible_notifications, allows=may_on_notification))
    register(EmailDelivery, Policy(visible=visible_deliveries, allows=may_on_delivery))
