"""The person rule, written once: who sees a person's record (DESIGN.md rules 1, 3, 4).

A user sees a person while at least one *grant* holds and no *exclusion* does. The gate
knows no feature: each feature registers the grants and exclusions its own objects make
(in its `rules.py`, when its app is ready):

* network: an active member of the network (the user, or an organisation they act for)
  while the person's consent to share is in force — or the organisation keeps the record;
  a "never inform" on the user, or on an organisation they act for, excludes them;
* stays: the staff of a hospital where the person stays now (with the consent to share
  with hospitals, or when the hospital keeps the record); an organisation that received
  an open referral;
* the gate itself: an open break-the-glass access (rule 4).

Every list, count, search, message, print and export of a person's data starts from
`visible_persons`; a grant that `completes` also lets a professional change the record
(rule 2), the others only let them read it. An exclusion beats every grant, break-the-
glass included.

Each condition is a boolean expression over Person rows (`OuterRef("pk")` is the person),
evaluated as a correlated EXISTS: a selective search stays fast however many persons the
user may see.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from relais.access.models import BreakGlassAccess
from relais.access.policy import is_signed_in

BREAK_GLASS_HOURS = 8

Condition = Callable[[object], object]  # user -> expression over Person rows, or None


@dataclass(frozen=True)
class Grant:
    name: str
    condition: Condition
    completes: bool  # the grant lets a professional change the record, not only read it


GRANTS: dict[str, Grant] = {}
EXCLUSIONS: dict[str, Condition] = {}


def register_grant(name: str, condition: Condition, *, completes: bool) -> None:
    GRANTS[name] = Grant(name, condition, completes)


def register_exclusion(name: str, condition: Condition) -> None:
    EXCLUSIONS[name] = condition


def visible_persons(user, queryset: QuerySet) -> QuerySet:
    """The persons in `queryset` whose record `user` may read now."""
    return _granted(user, queryset, GRANTS.values())


def completable_persons(user, queryset: QuerySet) -> QuerySet:
    """The persons whose record `user` may complete: a grant that completes, no exclusion
    (whether the user is a professional is the caller's question)."""
    return _granted(user, queryset, [grant for grant in GRANTS.values() if grant.completes])


def excluded_persons(user, queryset: QuerySet) -> QuerySet:
    """The persons in `queryset` who excluded `user` (or an organisation they act for)."""
    if not is_signed_in(user):
        return queryset.none()
    conditions = _conditions(user, EXCLUSIONS.values())
    return queryset.filter(reduce(or_, conditions)) if conditions else queryset.none()


def _granted(user, queryset: QuerySet, grants) -> QuerySet:
    if not is_signed_in(user):
        return queryset.none()
    conditions = _conditions(user, [grant.condition for grant in grants])
    if not conditions:
        return queryset.none()
    queryset = queryset.filter(reduce(or_, conditions))
    for exclusion in _conditions(user, EXCLUSIONS.values()):
        queryset = queryset.exclude(exclusion)
    return queryset


def _conditions(user, conditions) -> list:
    return [expression for expression in (condition(user) for condition in conditions)
            if expression is not None]


# --- break the glass (rule 4): the gate's own grant -------------------------------------


def break_glass_expiry():
    return timezone.now() + timedelta(hours=BREAK_GLASS_HOURS)


def _broken_glass(user):
    return Exists(BreakGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now(),
                                                  person=OuterRef("pk")))


def register_break_glass() -> None:
    register_grant("break_glass", _broken_glass, completes=False)
