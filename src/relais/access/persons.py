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

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.utils import timezone

from relais.access import decisions
from relais.access.models import BreakGlassAccess
from relais.access.policy import is_signed_in, signature

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
    decisions.rules_changed()


def register_exclusion(name: str, condition: Condition) -> None:
    EXCLUSIONS[name] = condition
    decisions.rules_changed()


def visible_persons(user, queryset: QuerySet) -> QuerySet:
    """The persons in `queryset` whose record `user` may read now."""
    return _granted(user, queryset, "visible")


def completable_persons(user, queryset: QuerySet) -> QuerySet:
    """The persons whose record `user` may complete: a grant that completes, no exclusion
    (whether the user is a professional is the caller's question)."""
    return _granted(user, queryset, "completable")


def excluded_persons(user, queryset: QuerySet) -> QuerySet:
    """The persons in `queryset` who excluded `user` (or an organisation they act for)."""
    if not is_signed_in(user):
        return queryset.none()
    decisions.counted("excluded")
    excluded = _expressions(user, "excluded")
    return queryset.filter(excluded) if excluded is not None else queryset.none()


def visible_person_pks(user, persons: QuerySet) -> QuerySet | RawSQL:
    """The pks of the persons `user` may read now, for `pk__in` filters: `persons` is the
    whole person table (`Person.objects.all()`). The subquery's SQL is built once per user
    and day and kept across requests (`decisions.statement`): it reads the grants' rows
    when it runs, so a consent withdrawn or an exclusion shows on the next request."""
    if not is_signed_in(user):
        return persons.none().values("pk")
    return decisions.remembered(("visible_pks", user.pk),
                                lambda: _kept_pks(user, "visible", persons))


def excluded_person_pks(user, persons: QuerySet) -> QuerySet | RawSQL:
    """The pks of the persons who excluded `user`, as `visible_person_pks`."""
    if not is_signed_in(user):
        return persons.none().values("pk")
    return decisions.remembered(("excluded_pks", user.pk),
                                lambda: _kept_pks(user, "excluded", persons))


def _kept_pks(user, question: str, persons: QuerySet) -> QuerySet | RawSQL:
    def build():
        if _expressions(user, question) is None:
            return "", []
        asked = visible_persons if question == "visible" else excluded_persons
        # No ORDER BY (Person's default ordering): an `IN (subquery)` does not need one, and
        # PostgreSQL would sort every visible person to answer it.
        return asked(user, persons).order_by().values("pk").query.sql_with_params()

    sql, params = decisions.statement(("person_pks", question, signature(user)),
                                      build)
    # Django's own SQL, its values as parameters.
    return RawSQL(sql, params) if sql else persons.none().values("pk")  # noqa: S611


# Stands for the person's id in a kept statement about one person; no person has it.
SOMEONE = -987_654_321


def about_one(user, question: str, persons: QuerySet, pk: int) -> bool:
    """Whether person #pk is one `user` may read ("visible"), may complete
    ("completable"), or who excluded them ("excluded"): one query, whose SQL is built once
    per user and day and kept across requests (`decisions.statement`), the id a
    parameter. `persons` is the whole person table (`Person.objects.all()`)."""
    if not is_signed_in(user):
        return False

    def build():
        asked = {"visible": visible_persons, "completable": completable_persons,
                 "excluded": excluded_persons}[question]
        one = asked(user, persons.filter(pk=SOMEONE)).order_by().values("pk")[:1]
        try:
            return one.query.sql_with_params()
        except EmptyResultSet:  # no grant applies to this user at all
            return "", []

    sql, params = decisions.statement(
        ("about_one", persons.model._meta.label_lower, question, signature(user)),
        build)
    if not sql:
        return False
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk if type(value) is int and value == SOMEONE else value
                             for value in params])
        return cursor.fetchone() is not None


def _granted(user, queryset: QuerySet, question: str) -> QuerySet:
    if not is_signed_in(user):
        return queryset.none()
    decisions.counted(question)
    granted = _expressions(user, question)
    if granted is None:
        return queryset.none()
    queryset = queryset.filter(granted)
    excluded = _expressions(user, "excluded")
    return queryset.exclude(excluded) if excluded is not None else queryset


def _expressions(user, question: str):
    """The grants (or the exclusions) for `user` as one expression over Person rows, or
    None: built once per request."""
    return decisions.remembered((question, user.pk), lambda: _any_of(user, question))


def _any_of(user, question: str):
    if question == "excluded":
        conditions = EXCLUSIONS.values()
    else:
        conditions = [grant.condition for grant in GRANTS.values()
                      if grant.completes or question == "visible"]
    expressions = [expression for expression in (condition(user) for condition in conditions)
                   if expression is not None]
    return reduce(or_, expressions) if expressions else None


# --- break the glass (rule 4): the gate's own grant -------------------------------------


def break_glass_expiry():
    return timezone.now() + timedelta(hours=BREAK_GLASS_HOURS)


def _broken_glass(user):
    # The database's clock, not a parameter: the statement may be kept across requests.
    return Exists(BreakGlassAccess.objects.filter(user=user, expires_at__gt=Now(),
                                                  person=OuterRef("pk")))


def register_break_glass() -> None:
    register_grant("break_glass", _broken_glass, completes=False)
