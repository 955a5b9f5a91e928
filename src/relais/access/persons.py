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

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce
from operator import or_

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Exists, F, OuterRef, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.utils import timezone

from relais.access import decisions
from relais.access.models import BreakGlassAccess
from relais.access.policy import (
    is_signed_in,
    managed_organisation_ids,
    member_organisation_ids,
    remember_memberships,
    signature,
)
from relais.core import kept
from relais.core.sql import AnyOf, array_literal

BREAK_GLASS_HOURS = 8

Condition = Callable[[object], object]  # user -> expression over Person rows, or None
# user -> a query of person ids (one column) holding every person the condition admits for
# that user, found by index from the user's side (their memberships, their hospitals'
# stays, their organisations' referrals).
Candidates = Callable[[object], QuerySet]


@dataclass(frozen=True)
class Grant:
    name: str
    condition: Condition
    completes: bool  # the grant lets a professional change the record, not only read it
    candidates: Candidates | None = None


GRANTS: dict[str, Grant] = {}
EXCLUSIONS: dict[str, Condition] = {}


def register_grant(name: str, condition: Condition, *, completes: bool,
                   candidates: Candidates | None = None) -> None:
    """`condition` decides; `candidates`, when given, lets the gate find the persons the
    grant may admit from the user's side instead of asking the condition of every person
    (`candidate_person_ids`): it must hold every person the condition admits."""
    GRANTS[name] = Grant(name, condition, completes, candidates)
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


@contextmanager
def asking_per_row(field: str = "person_id"):
    """Inside the block, `visible_person_pks` and `excluded_person_pks` ask about the
    person of each row being filtered (its `field`), as a correlated subquery, instead of
    as the set of every person the user may read. For a query about one person's rows
    (the person page's sections): PostgreSQL computes that set whole before keeping the
    person's two stays (200 ms at 100,000 persons, growing with them;
    bench/person_page_scale.py), where asking about their person takes an index lookup.
    A list over many persons wants the set: it stays the default."""
    token = _per_row.set(field)
    try:
        yield
    finally:
        _per_row.reset(token)


def _about_each_row(asked, user, persons: QuerySet) -> QuerySet:
    return asked(user, persons.filter(pk=OuterRef(_per_row.get()))).order_by().values("pk")


def visible_person_pks(user, persons: QuerySet) -> QuerySet | RawSQL | list[int]:
    """The pks of the persons `user` may read now, for `pk__in` filters: `persons` is the
    whole person table (`Person.objects.all()`). The subquery's SQL is built once per user
    and day and kept across requests (`decisions.statement`): it reads the grants' rows
    when it runs, so a consent withdrawn or an exclusion shows on the next request.
    Inside `deciding_among(...)`, the list of those among the block's persons."""
    if not is_signed_in(user):
        return persons.none().values("pk")
    if _among.get() is not None:
        return _answer_among(user, "visible", persons)
    if _per_row.get() is not None:
        return _about_each_row(visible_persons, user, persons)
    return decisions.remembered(("visible_pks", user.pk),
                                lambda: _kept_pks(user, "visible", persons))


def excluded_person_pks(user, persons: QuerySet) -> QuerySet | RawSQL:
    """The pks of the persons who excluded `user`, as `visible_person_pks`."""
    if not is_signed_in(user):
        return persons.none().values("pk")
    if _among.get() is not None:
        return _answer_among(user, "excluded", persons)
    if _per_row.get() is not None:
        return _about_each_row(excluded_persons, user, persons)
    return decisions.remembered(("excluded_pks", user.pk),
                                lambda: _kept_pks(user, "excluded", persons))


def _kept_pks(user, question: str, persons: QuerySet) -> QuerySet | RawSQL:
    def build(asker):
        if _expressions(asker, question) is None:
            return "", []
        asked = visible_persons if question == "visible" else excluded_persons
        # No ORDER BY (Person's default ordering): an `IN (subquery)` does not need one, and
        # PostgreSQL would sort every visible person to answer it.
        return asked(asker, persons).order_by().values("pk").query.sql_with_params()

    sql, params = _statement_for(user, ("person_pks", question), build)
    # Django's own SQL, its values as parameters.
    return RawSQL(sql, params) if sql else persons.none().values("pk")  # noqa: S611


# --- statements built once per shape of user ---------------------------------------------
# The person statements depend on the user only through who they are (their id, kind and
# flags) and whom they act for (their organisations' ids): a grant's condition puts those
# ids among the statement's parameters. So a statement is built for a stand-in user of the
# same shape (kind, flags, how many organisations, which of them managed), whose ids are
# integers no row has, and kept once for every user of that shape; each use puts the
# user's own ids where the stand-ins are. Building one costs more than running it, and a
# region's thousands of professionals share a handful of shapes.
STAND_IN_USER = -987_653_000
STAND_IN_ORGANISATION = -987_652_000  # minus n for the user's nth organisation (by id)


def _organisations(user) -> list[int]:
    """Whom `user` acts for, in the order their stand-ins are numbered."""
    return sorted(member_organisation_ids(user))


def shape(user) -> tuple:
    """What a person statement for `user` is built from, their ids left out."""
    managed = managed_organisation_ids(user)
    return (bool(user.is_active), bool(user.is_superuser), getattr(user, "kind", None),
            tuple(organisation in managed for organisation in _organisations(user)))


def _stand_in(user):
    """A user of `user`'s shape whose ids are stand-ins (never saved)."""
    stand_in = user._meta.model(pk=STAND_IN_USER, is_active=user.is_active,
                                 is_superuser=user.is_superuser)
    if hasattr(user, "kind"):
        stand_in.kind = user.kind
    managed = managed_organisation_ids(user)
    remember_memberships(stand_in, [
        (STAND_IN_ORGANISATION - number, organisation in managed)
        for number, organisation in enumerate(_organisations(user))])
    return stand_in


def _own_ids(user) -> dict[int, int]:
    """Each stand-in, and the id of `user`'s that takes its place."""
    ids = {STAND_IN_USER: user.pk}
    ids.update({STAND_IN_ORGANISATION - number: organisation
                for number, organisation in enumerate(_organisations(user))})
    return ids


def _statement_for(user, key: tuple, build: Callable[[object], tuple[str, list]]):
    """`decisions.statement` for a person statement about `user`: `build(asker)` is called
    with a stand-in of the user's shape (the request's remembered answers are not read:
    they are the real user's), and the parameters come back with the user's own ids."""
    def build_for_the_shape():
        with decisions.answering_anew():
            sql, params = build(_stand_in(user))
        if str(STAND_IN_USER) in sql or str(STAND_IN_ORGANISATION)[:-3] in sql:
            raise ValueError(f"a stand-in was written into the SQL, not passed: {key}")
        return sql, params

    sql, params = decisions.statement((decisions.PER_SHAPE, *key, shape(user)),
                                      build_for_the_shape)
    own = _own_ids(user)
    return sql, [own.get(value, value) if type(value) is int else value for value in params]


# Stands for the person's id in a kept statement about one person; no person has it.
SOMEONE = -987_654_321


def about_one(user, question: str, persons: QuerySet, pk: int) -> bool:
    """Whether person #pk is one `user` may read ("visible"), may complete
    ("completable"), or who excluded them ("excluded"): one query, whose SQL is built once
    per user and day and kept across requests (`decisions.statement`), the id a
    parameter. `persons` is the whole person table (`Person.objects.all()`)."""
    if not is_signed_in(user):
        return False
    sql, params = _about_one_statement(user, question, persons)
    if not sql:
        return False
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk if type(value) is int and value == SOMEONE else value
                             for value in params])
        return cursor.fetchone() is not None


def _about_one_statement(user, question: str, persons: QuerySet) -> tuple[str, list]:
    """`about_one`'s SQL and parameters, SOMEONE standing for the person's id; ("", [])
    when no grant applies to the user at all."""
    def build(asker):
        asked = {"visible": visible_persons, "completable": completable_persons,
                 "excluded": excluded_persons}[question]
        one = asked(asker, persons.filter(pk=SOMEONE)).order_by().values("pk")[:1]
        try:
            return one.query.sql_with_params()
        except EmptyResultSet:  # no grant applies to this user at all
            return "", []

    return _statement_for(user, ("about_one", persons.model._meta.label_lower, question),
                          build)


def one_if_visible(user, queryset: QuerySet, pk: int, *, also: tuple[str, ...] = ()):
    """(person #pk from `queryset`, or None, {question: answer}): the person (from the
    whole table, with what `queryset` loads with it) if `user` may read them, with the
    answers to the `also` questions about them ("completable", "excluded"), all in one
    query: a page that opens a person needs the row and asks those next. Kept across
    requests for the user (the questions' parameters hold their own ids)."""
    if not is_signed_in(user):
        return None, {}
    persons = queryset.model.objects.all()
    sql, params = _about_one_statement(user, "visible", persons)
    if not sql:
        return None, {}
    asked = {question: _about_one_statement(user, question, persons) for question in also}

    def build(s):
        return queryset.filter(_exists(sql, params, s.pk), pk=s.pk).annotate(**{
            f"relais_{question}": _exists(*statement, s.pk) if statement[0] else Value(False)
            for question, statement in asked.items()})

    query = queryset.query  # what is loaded with the row names the statement too
    key = ("persons.one_if_visible", signature(user), also, repr(query.select_related),
           repr(query.deferred_loading), tuple(map(repr, queryset._prefetch_related_lookups)))
    person = kept.first(key, build, pk=pk)
    if person is None:
        return None, {}
    return person, {question: bool(getattr(person, f"relais_{question}")) for question in also}


def _exists(sql: str, params: list, pk) -> RawSQL:
    """`EXISTS(sql)` of an `about_one` statement, `pk` in SOMEONE's place: the gate's own
    compiled SQL, its values as parameters (no text from outside)."""
    return RawSQL(f"EXISTS({sql})", [pk if type(value) is int and value == SOMEONE  # noqa: S611
                                      else value for value in params],
                  output_field=BooleanField())


# --- deciding about a few candidates --------------------------------------------------

# Candidates asked about in one query, at most (a search's chunk: bench/fhir_api.py, and
# network/search.py for why PostgreSQL wants chunks of about this size).
AMONG_AT_MOST = 128
# The persons `deciding_among` narrows the person questions to, with the answers found.
_among: ContextVar[dict | None] = ContextVar("relais_gate_among", default=None)
_per_row: ContextVar[str | None] = ContextVar("relais_gate_per_row", default=None)


def persons_among(user, question: str, persons: QuerySet, pks: Iterable[int]) -> set[int]:
    """Which of the persons #pks `user` may read ("visible") or was excluded by
    ("excluded"): the same answer as `visible_persons` / `excluded_persons` gives for
    them, asked about these persons only (a search's candidates, not every person the
    user may read). One query per AMONG_AT_MOST persons, whose SQL is built once per
    user, day and size and kept across requests (`decisions.statement`). `persons` is
    the whole person table (`Person.objects.all()`)."""
    pks = sorted(set(pks))
    if not pks or not is_signed_in(user):
        return set()
    decisions.counted(question)  # one question, however many statements answer it
    found = set()
    for start in range(0, len(pks), AMONG_AT_MOST):
        found |= _among_once(user, question, persons, pks[start:start + AMONG_AT_MOST])
    return found


def _among_once(user, question: str, persons: QuerySet, pks: list[int]) -> set[int]:
    if connection.vendor == "postgresql":
        return _among_as_array(user, question, persons, pks)
    size = 1 << (len(pks) - 1).bit_length()  # 1, 2, 4, ... : few statements per user
    stand_ins = [SOMEONE - number for number in range(size)]

    sql, params = _statement_for(
        user, ("among", persons.model._meta.label_lower, question, size),
        lambda asker: _question_sql(asker, question, persons.filter(pk__in=stand_ins)))
    if not sql:
        return set()
    # The last pk fills the places of a shorter list (IN (1, 2, 2, 2) is IN (1, 2)).
    value = {stand_in: pks[min(number, len(pks) - 1)]
             for number, stand_in in enumerate(stand_ins)}
    with connection.cursor() as cursor:
        cursor.execute(sql, [value.get(param, param) if type(param) is int else param
                             for param in params])
        return {row[0] for row in cursor.fetchall()}


def _question_sql(asker, question: str, candidates: QuerySet) -> tuple[str, list]:
    """The SQL of "which of `candidates` may `asker` read" (or "... excluded them")."""
    asked = visible_persons if question == "visible" else excluded_persons
    try:
        return asked(asker, candidates).order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # no grant (or no exclusion) applies to this user at all
        return "", []


# Stands for the candidates' ids, one array parameter on PostgreSQL; no person has its id.
SOMEONE_AMONG = [SOMEONE]


def _among_as_array(user, question: str, persons: QuerySet, pks: list[int]) -> set[int]:
    """`_among_once` on PostgreSQL: the ids go as one array (`sql.AnyOf`), so one
    statement serves every number of candidates and PostgreSQL plans it once per
    connection (bench/fhir_api.py: custom plans at each run took 1 ms of planning)."""
    sql, params = _statement_for(
        user, ("among_array", persons.model._meta.label_lower, question),
        lambda asker: _question_sql(asker, question,
                                    persons.filter(AnyOf(F("pk"), SOMEONE_AMONG))))
    if not sql:
        return set()
    ids, stand_in = array_literal(pks), array_literal(SOMEONE_AMONG)  # as AnyOf sends them
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids if param == stand_in else param for param in params])
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def deciding_among(person_ids: Iterable[int]):
    """Inside the block, `visible_person_pks` and `excluded_person_pks` answer about the
    persons #person_ids only, as lists (`persons_among`), instead of subqueries over
    every person: a feature's rule asked about a few rows whose persons are all among
    them (a search's candidates, each row's person in `person_ids`) gives the very
    answer it gives alone, without reading every person the user may read. Nothing
    learnt inside is kept for the request (`decisions.not_remembering`): outside, the
    questions are about every person again."""
    token = _among.set({"ids": frozenset(person_ids), "answers": {}})
    try:
        with decisions.not_remembering():
            yield
    finally:
        _among.reset(token)


# Past this many candidates a list of them costs more than it saves (a user who may read
# a hundred thousand persons: bench/person_search.py): `candidate_person_ids` says None.
CANDIDATES_AT_MOST = 20_000
# A search with words finds its rows by the words' indexes: the candidates then only
# spare the gate's probes when the words match many persons of whom the user sees few,
# and reading 10,000 ids for that cost more than the probes it spared (the search at
# 10,000 visible persons: p95 33.7 ms with them, 17.3 without; bench/person_search.py).
CANDIDATES_FOR_WORDS_AT_MOST = 2_000
TOO_MANY_KEPT_SECONDS = 300


def candidate_person_ids(user, at_most: int | None = None) -> list[int] | None:
    """Every person a grant may admit for `user` (a superset of those they may read),
    found from the user's side by index: their networks, their hospitals' open stays,
    their organisations' open referrals, their open break-the-glass accesses (each
    grant's `candidates`). Cheap whatever the size of the region: no rule is asked. A
    list driven by rows of the whole region (every booklet's alerts of the last month,
    every person in name order) narrows its rows to these persons first and then asks
    the gate as usual, about the few rows left, instead of probing the gate for each row
    of the region (5 s at a million persons: bench/person_page_scale.py's "my work").
    None when a grant names no candidates or there are more than `at_most`
    (CANDIDATES_AT_MOST by default): the caller asks the gate alone. Remembered for the
    request."""
    at_most = CANDIDATES_AT_MOST if at_most is None else at_most
    if any(grant.candidates is None for grant in GRANTS.values()):
        return None
    if not is_signed_in(user):
        return []
    return decisions.remembered(("candidate_ids", user.pk, at_most),
                                lambda: _candidate_ids(user, at_most))


def _candidate_ids(user, at_most: int) -> list[int] | None:
    too_many = ("too_many_candidates", user.pk, at_most)
    if decisions.known_lately(too_many, False):
        return None
    sql, params = _statement_for(user, ("candidates",), _candidates_sql)
    if not sql:
        return []
    with connection.cursor() as cursor:
        # UNION ALL and a LIMIT: the database stops at the cap instead of first
        # gathering a large set; the duplicates go here.
        cursor.execute(f"{sql} LIMIT %s", [*params, at_most * 2 + 1])
        rows = cursor.fetchall()
    found = sorted({row[0] for row in rows})
    if len(rows) > at_most * 2 or len(found) > at_most:
        # Finding that out read 40,000 rows (13 ms, half of a search among 100,000
        # visible persons: bench/person_search.py); None is always a right answer (the
        # gate alone), so it is kept a while: a user whose networks shrink below the cap
        # gets their faster lists a few minutes late.
        decisions.keep_a_while(too_many, True, TOO_MANY_KEPT_SECONDS)
        return None
    return found


def _candidates_sql(user) -> tuple[str, list]:
    parts = [grant.candidates(user).order_by().query.sql_with_params()
             for grant in GRANTS.values() if grant.condition(user) is not None]
    return " UNION ALL ".join(sql for sql, _params in parts), [
        param for _sql, part_params in parts for param in part_params]


def _answer_among(user, question: str, persons: QuerySet) -> list[int]:
    among = _among.get()
    key = (question, user.pk, persons.model._meta.label_lower)
    if key not in among["answers"]:
        among["answers"][key] = sorted(persons_among(user, question, persons, among["ids"]))
    return among["answers"][key]


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


def _open_accesses(user):
    # The database's clock, not a parameter: the statement may be kept across requests.
    return BreakGlassAccess.objects.filter(user=user, expires_at__gt=Now())


def _broken_glass(user):
    return Exists(_open_accesses(user).filter(person=OuterRef("pk")))


def _broken_glass_persons(user):
    return _open_accesses(user).values("person_id")


def register_break_glass() -> None:
    register_grant("break_glass", _broken_glass, completes=False,
                   candidates=_broken_glass_persons)
