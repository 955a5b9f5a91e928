"""Querysets compiled once per process, run with each request's own values.

Django builds a queryset's filters and compiles them to SQL every time it runs, and on a
page of twenty small queries that is most of the page's time: more than the database
takes to answer. A page's queries keep their shape from one request to the next; only
their values change (this person, this user). So a query is built once with stand-ins
for those values (`Slots`: integers no row has), compiled once, and kept; each later run
puts the request's values where the stand-ins are among the parameters and sends the same
SQL. Models come back as from the queryset itself (select_related, annotations,
prefetch_related).

    stays = kept.rows(("stays.section", user_signature),
                      lambda s: Stay.objects.filter(person_id=s.person).order_by("-admitted_at"),
                      person=person.pk)

The key names everything else the query is made of (a user's memberships, the caller's
options); the day is added (a query may say "today"). A query holding the moment it was
built (`timezone.now()` among its parameters) is not kept: conditions on "now" say
`Now()`. Integers, texts and lists of ids (through `core.sql.AnyOf`) can be stand-ins; a
stand-in that does not reach the parameters (the build used it in Python, or Django wrote
it into the SQL) is an error, not a silent wrong answer.
"""

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields.related_descriptors import ReverseManyToOneDescriptor
from django.db.models.query import prefetch_one_level
from django.db.models.sql.where import WhereNode
from django.utils import timezone

from relais.core.sql import array_literal

KEPT = 2_000  # per process and kind (rows, counts)
_FIRST_SLOT = -987_654_000  # below any id a database hands out
_SLOT_TYPES = (int, str)


class Slots:
    """Stand-ins for the values a kept query takes: `s.person`, `s.user`, ... An integer
    no row has for an integer, a text no one writes for a text, and for a list of ids
    (given to `core.sql.AnyOf`, which sends a list as one parameter) a list of one such
    integer."""

    def __init__(self, values: dict):
        for number, name in enumerate(sorted(values)):
            value = values[name]
            setattr(self, name, f"\x1eslot:{name}\x1e" if isinstance(value, str)
                    else [_FIRST_SLOT - number] if isinstance(value, list | tuple)
                    else _FIRST_SLOT - number)

    def stand_ins(self) -> dict:
        """{stand-in: name}, a list's by its one integer."""
        return {(value[0] if isinstance(value, list) else value): name
                for name, value in vars(self).items()}


def _place(param, slots: dict):
    """(name, how to write the value) if `param` is a stand-in: as it is (None), or a
    list of ids as AnyOf sends it: an array's literal text (PostgreSQL) or a JSON one
    (SQLite); a list (a caller's own list parameter)."""
    if type(param) in _SLOT_TYPES and param in slots:
        return slots[param], None
    if type(param) is list and len(param) == 1 and param[0] in slots:
        return slots[param[0]], list
    if type(param) is str and param[:2] in ("[-", "{-") and param[-1:] in ("]", "}"):
        number = param[1:-1]
        if number[1:].isdigit() and int(number) in slots:
            return slots[int(number)], _json_list if param[0] == "[" else array_literal
    return None


def _json_list(value) -> str:
    return json.dumps(list(value))


class _Compiled:
    __slots__ = ("key", "queryset", "compiler", "sql", "params", "slots", "places",
                 "converters", "prefetches")

    def __init__(self, key: tuple, queryset: QuerySet, slots: dict[int, str], *,
                 every_slot: bool = True):
        self.key = key
        self.queryset = queryset
        self.converters = {}  # per connection object: what Django would work out each run
        self.compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = self.compiler.as_sql()
        self.params = tuple(params)
        self.slots = slots
        self.places = [(index, *place) for index, place in enumerate(
            _place(param, slots) for param in self.params) if place is not None]
        missing = set(slots.values()) - self.names_placed()
        if missing and every_slot:
            raise ValueError(f"stand-ins not among the parameters: {sorted(missing)}")
        # Each prefetch lookup: kept (_KeptPrefetch), Django's own (None), or _TAKES_VALUES.
        self.prefetches = [_KeptPrefetch.of(self, position, lookup) for position, lookup
                           in enumerate(queryset._prefetch_related_lookups)]
        self._forget_the_conditions()

    def _forget_the_conditions(self) -> None:
        """Drop the WHERE clause's expressions once it is SQL: `_run` gives the compiler
        the SQL as it is, and reads rows with the select list and the joins alone. A
        statement kept per user holds the gate's conditions, trees of subqueries of about
        40 KB: a worker grew by 0.6 MB for each user it served (bench/load.py, 50 users:
        172 MB after ten minutes), and a worker keeps statements for thousands."""
        query = self.queryset.query
        query.where = WhereNode()
        compiler = self.compiler
        for part in ("where", "having", "qualify", "order_by"):
            if hasattr(compiler, part):
                setattr(compiler, part, None)
        # The columns stay (rows are read by them), not their SQL: it is in `self.sql`.
        compiler.select = [(column, ("", ()), alias) for column, _sql, alias in compiler.select]

    def names_placed(self) -> set[str]:
        return {name for _index, name, _how in self.places}

    def bound(self, values: dict) -> list:
        params = list(self.params)
        for index, name, how in self.places:
            params[index] = values[name] if how is None else how(values[name])
        return params


_NOT_KEPT = object()  # for a key whose query cannot be kept: run it as Django would
_kept: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()  # the ADT listener and `relais run` use threads


_forgetters: list[Callable[[], None]] = []  # what else is kept from the rows read


def when_forgotten(forget_too: Callable[[], None]) -> None:
    """Call `forget_too` whenever the kept queries are dropped (something kept from what
    they read: a form's HTML with its choices)."""
    _forgetters.append(forget_too)


def forget() -> None:
    """Drop every kept query (rules changed; tests start from none)."""
    with _lock:
        _kept.clear()
    for forget_too in _forgetters:
        forget_too()


def rows(key: tuple, build: Callable[[Slots], QuerySet], **values) -> list:
    """The objects of the queryset `build(slots)` returns, with `values` in the slots."""
    compiled = _compiled(("rows", *key), build, values)
    if compiled is None:
        return list(build(_given(values)))
    return _run(compiled, compiled.bound(values))


def first(key: tuple, build: Callable[[Slots], QuerySet], **values):
    """The first object of `build(slots)` (ordered as it says), or None."""
    found = rows(key, lambda s: build(s)[:1], **values)
    return found[0] if found else None


def among(key: tuple, build: Callable[[Slots, list], QuerySet], ids, **values) -> list:
    """The rows of `build(slots, id_slots)` for a list of ids (a page's): `build` filters
    on `id_slots` (`pk__in=id_slots`) and may use `slots`. Kept per power of two: the ids
    are padded to 1, 2, 4, 8… by repeating the last (`IN (7, 9, 9, 9)` finds the rows of 7
    and 9). A statement per number of ids made a list of a thousand stays a thousand
    statements, more than a connection keeps prepared (psycopg's 100); an array of ids
    made PostgreSQL plan for ten ids whatever their number."""
    ids = list(ids)
    if not ids:
        return []
    ids += ids[-1:] * (_padded(len(ids)) - len(ids))
    names = {f"id{n}": value for n, value in enumerate(ids)}
    return rows((*key, len(names)), lambda s: build(s, [getattr(s, n) for n in names]),
                **values, **names)


def _padded(count: int) -> int:
    """The power of two at or above `count`."""
    return 1 << (count - 1).bit_length()


def by_pks(key: tuple, queryset_of: Callable[[list], QuerySet], pks) -> dict:
    """`queryset_of(pks).in_bulk()` for a page's ids, kept per number of ids."""
    return {row.pk: row for row in among(key, lambda s, ids: queryset_of(ids), pks)}


def count(key: tuple, build: Callable[[Slots], QuerySet], **values) -> int:
    """How many rows `build(slots)` has: one COUNT over its SQL, kept like the rows."""
    return later_count(key, build, **values).get()


def exists(key: tuple, build: Callable[[Slots], QuerySet], **values) -> bool:
    """Whether `build(slots)` has a row."""
    return later_exists(key, build, **values).get()


def exist_each(key: tuple, builds: dict[str, Callable[[Slots], QuerySet]],
               **values) -> dict[str, bool]:
    """{name: whether `build(slots)` has a row} for several querysets in one statement
    (`SELECT EXISTS(...), EXISTS(...)`): a page that shows several kinds of rows, most
    often none of them, asks once which exist and reads only those."""
    if not builds:
        return {}
    group = _group()
    asked = {name: _later(("exists", *key, name),
                          lambda s, build=builds[name]: _one_row(build(s)), values, _EXISTS,
                          group, every_slot=False) for name in sorted(builds)}
    if all(each.compiled is not None for each in asked.values()) and (unused := set(
            values) - set().union(*(each.compiled.names_placed() for each in asked.values()))):
        for each in asked.values():
            each.forget_waiting()
        raise ValueError(f"stand-ins not among the parameters: {sorted(unused)}")
    return {name: each.get() for name, each in asked.items()}


# --- questions asked together ---------------------------------------------------------------
# A page asks several small questions: the header's unread count, a work list's backlog of
# messages, which kinds of rows a person has. Each was a statement, and a statement costs
# the worker and the database more than such a question does. Inside `asking_together()`
# (every request: access.decisions opens it) a question can wait (`later_count`,
# `later_exists`); the first whose answer is needed asks all those waiting, in one
# `SELECT (SELECT COUNT(*) FROM (...) AS counted), EXISTS(...), ...`.

_EXISTS = "EXISTS({})"
_COUNT = "(SELECT COUNT(*) FROM ({}) AS counted)"
_together: ContextVar["_Group | None"] = ContextVar("relais_kept_together", default=None)


@contextmanager
def asking_together(*, join: Callable[[], None] | None = None):
    """Questions asked later inside the block wait for one another. `join` is called once,
    just before the block's first statement of questions: it may add its own (the
    header's unread count), which then come with that statement."""
    token = _together.set(_Group(join))
    try:
        yield
    finally:
        _together.reset(token)


@contextmanager
def generic_plans(using: str = "default"):
    """Inside the block, PostgreSQL runs a prepared statement with its generic plan
    instead of planning it again with each run's values. Only where a benchmark showed
    the generic plan as fast: after five runs PostgreSQL keeps a generic plan unless its
    estimate looks dearer than the values' own plans, and for a statement whose values
    it can estimate (this organisation, this status) it looks dearer even when it is not,
    so the statement is planned at every run (the referral inbox: 1.9 ms of planning for
    each of its three lists, each run in 0.02–3.4 ms). Nothing to do on SQLite, or behind
    PgBouncer (`prepare_threshold` None: nothing is prepared). In a transaction the
    setting is the transaction's own (`SET LOCAL`); otherwise it is set back at the end."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.settings_dict.get(
            "OPTIONS", {}).get("prepare_threshold", 5) is None:
        yield
        return
    local = connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(f"SET{' LOCAL' if local else ''} plan_cache_mode = force_generic_plan")
    try:
        yield
    finally:
        if not local:
            with connection.cursor() as cursor:
                cursor.execute("RESET plan_cache_mode")


def written() -> None:
    """The block wrote: an answer that came along with another question's and was not
    read yet is asked again when it is (the write may have changed it)."""
    group = _together.get()
    if group is not None:
        for later in list(group.answered_along):
            later.ask_again()


class _Group:
    """The questions waiting, and those answered along with another, not read yet."""

    def __init__(self, join: Callable[[], None] | None = None):
        self.waiting: list[Later] = []
        self.answered_along: list[Later] = []
        self.join = join


class Later:
    """A count or an existence, asked when its answer is first needed, in one statement
    with the questions waiting in its group (the request's; outside one, its own)."""

    __slots__ = ("compiled", "params", "wrapper", "directly", "group", "answer", "read")

    def __init__(self, compiled, params, wrapper: str, directly, group: _Group):
        self.compiled, self.params, self.wrapper = compiled, params, wrapper
        self.directly, self.group = directly, group
        self.answer, self.read = None, False
        if compiled is not None:
            group.waiting.append(self)

    def get(self):
        if self.compiled is None:  # could not be kept: asked as Django would
            return self.directly()
        if self.answer is None:
            _ask(self.group, self)
        self.read = True
        return self.answer

    def ask_again(self) -> None:
        if self.answer is not None and not self.read:
            self.answer = None
            self.group.answered_along.remove(self)
            self.group.waiting.append(self)

    def forget_waiting(self) -> None:
        if self in self.group.waiting:
            self.group.waiting.remove(self)


def later_count(key: tuple, build: Callable[[Slots], QuerySet], **values) -> Later:
    """`count(...)` when `.get()` first needs it, with the other questions waiting."""
    return _later(("count", *key), lambda s: build(s).order_by(), values, _COUNT, _group(),
                  directly=lambda queryset: queryset.count())


def later_exists(key: tuple, build: Callable[[Slots], QuerySet], **values) -> Later:
    """`exists(...)` when `.get()` first needs it, with the other questions waiting."""
    return _later(("exists", *key), lambda s: _one_row(build(s)), values, _EXISTS, _group())


def _one_row(queryset: QuerySet) -> QuerySet:
    return queryset.order_by().values("pk")[:1]


def _later(key, build, values, wrapper: str, group: _Group, *, every_slot: bool = True,
           directly=lambda queryset: queryset.exists()) -> Later:
    compiled = _compiled(key, build, values, every_slot=every_slot)
    if compiled is None:
        return Later(None, None, wrapper, lambda: directly(build(_given(values))), group)
    return Later(compiled, compiled.bound(values), wrapper, None, group)


def _group() -> _Group:
    """The block's group of questions, or a group of one's own outside a block."""
    return _together.get() or _Group()


def _ask(group: _Group, asking: Later) -> None:
    """Answer the questions waiting in `group` on `asking`'s database, in one statement."""
    if group.join is not None:
        join, group.join = group.join, None  # once, before the block's first statement
        join()
        if asking.answer is not None:  # the join asked already
            return
    alias = asking.compiled.queryset.db
    asked = [later for later in group.waiting if later.compiled.queryset.db == alias]
    sql = "SELECT " + ", ".join(later.wrapper.format(later.compiled.sql) for later in asked)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [param for later in asked for param in later.params])
        row = cursor.fetchone()
    for later, answer in zip(asked, row, strict=True):
        later.answer = bool(answer) if later.wrapper is _EXISTS else answer or 0
        group.waiting.remove(later)
        if later is not asking:
            group.answered_along.append(later)


def _compiled(key, build, values, *, every_slot: bool = True) -> _Compiled | None:
    """The kept compilation for `key`; None if this one cannot be kept (the caller then
    runs the queryset as Django would)."""
    full_key = (_today(), *key,
                *sorted((name, _kind(value)) for name, value in values.items()))
    with _lock:
        compiled = _kept.get(full_key)
        if compiled is not None:
            _kept.move_to_end(full_key)
            return None if compiled is _NOT_KEPT else compiled
    slots = Slots(values)
    try:
        compiled = _Compiled(full_key, build(slots), slots.stand_ins(),
                             every_slot=every_slot)
    except EmptyResultSet:  # a filter on nothing (`pk__in=[]`): Django sends no query for it
        compiled = _NOT_KEPT
    if compiled is not _NOT_KEPT and (holds_the_moment(compiled.params)
                                      or _TAKES_VALUES in compiled.prefetches):
        compiled = _NOT_KEPT
    with _lock:
        _kept[full_key] = compiled
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return None if compiled is _NOT_KEPT else compiled


_day = threading.local()  # (time zone, local date, its first and last second as timestamps)


def _today():
    """`timezone.localdate()`, worked out again only when the day or the time zone
    changes: every kept query's key holds it, and converting the time each time cost a
    tenth of a millisecond a page. Reads `time.time()` (what freezing the clock in tests
    moves)."""
    zone = timezone.get_current_timezone()
    now = time.time()
    known = getattr(_day, "known", None)
    if known is not None and known[0] is zone and known[2] <= now < known[3]:
        return known[1]
    moment = datetime.fromtimestamp(now, zone)
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)  # wall clock: a day of 23 or 25 hours ends right too
    _day.known = (zone, moment.date(), start.timestamp(),
                  datetime.combine(end.date(), datetime.min.time(), zone).timestamp())
    return moment.date()


def _kind(value) -> str:
    return "text" if isinstance(value, str) else "ids" if isinstance(value, list | tuple) else (
        "integer")


def _given(values: dict) -> Slots:
    """The slots filled with the real values (for a query run the ordinary way)."""
    given = Slots(values)
    given.__dict__.update(values)
    return given


def _run(compiled: _Compiled, params: list) -> list:
    """What `list(queryset)` does, with the kept SQL: Django's own iterable reads the rows
    (so select_related, annotations and values() come back as usual), then prefetches."""
    kept = compiled.queryset
    alias = kept.db
    connection = connections[alias]  # this thread's
    compiler = _shallow(compiled.compiler, connection=connection)
    sql = compiled.sql
    compiler.as_sql = lambda *args, **kwargs: (sql, params)
    compiler.get_converters = _converters_kept(compiled, compiler, connection)
    query = _shallow(kept.query, get_compiler=lambda *args, **kwargs: compiler)
    queryset = _shallow(kept, _query=query, _result_cache=None, _prefetch_done=False)
    found = list(queryset._iterable_class(queryset))
    if kept._prefetch_related_lookups and found:
        _prefetch(compiled, found)
    return found


def _prefetch(compiled: _Compiled, found: list) -> None:
    """`prefetch_related_objects(found, *lookups)`, a reverse foreign key's rows (a
    follow-up's contacts) read by a kept statement too: Django builds and compiles each
    prefetch's query at every run, and on a work list that cost more than the list."""
    others = []
    for lookup, kept_prefetch in zip(compiled.queryset._prefetch_related_lookups,
                                     compiled.prefetches, strict=True):
        if kept_prefetch is None:
            others.append(lookup)
        else:
            kept_prefetch.run(found)
    if others:
        prefetch_related_objects(found, *others)


class _KeptPrefetch:
    """One prefetch lookup through a reverse foreign key to a primary key, with no
    value of the request in its queryset: its rows come from a kept statement per
    number of objects, and Django's own `prefetch_one_level` files them on each object
    (caches, `to_attr`) exactly as `prefetch_related` would."""

    def __init__(self, key: tuple, lookup: Prefetch, field, rows: QuerySet):
        self.key, self.lookup, self.field, self.rows = key, lookup, field, rows

    @classmethod
    def of(cls, compiled: _Compiled, position: int, lookup):
        """How to run `lookup`: a _KeptPrefetch, None (Django's prefetch, as built), or
        _TAKES_VALUES: its queryset holds a request's value (a stand-in, the moment),
        which a statement kept would keep; the whole query is then not kept."""
        lookup = lookup if isinstance(lookup, Prefetch) else Prefetch(lookup)
        params = _parameters(lookup.queryset) if lookup.queryset is not None else ()
        if params is None:
            return None  # a filter on nothing: Django answers it without a query
        if any(_place(p, compiled.slots) for p in params) or (
                holds_the_moment(params)):
            return _TAKES_VALUES
        model = compiled.queryset.model
        descriptor = getattr(model, lookup.prefetch_through, None)
        if LOOKUP_SEP in lookup.prefetch_through or type(descriptor) is not (
                ReverseManyToOneDescriptor) or not _has_integer_pk(model):
            return None
        field = descriptor.field
        rows = lookup.queryset if lookup.queryset is not None else (
            field.model._default_manager.all())
        if not field.target_field.primary_key or rows.query.is_sliced:
            return None
        return cls(("prefetch", *compiled.key, position), lookup, field, rows)

    def run(self, found: list) -> None:
        name = self.field.name
        related = among(self.key, lambda _s, ids: self.rows.filter(**{f"{name}__in": ids}),
                        sorted({obj.pk for obj in found}))
        for obj in found:  # as prefetch_related_objects starts
            if not hasattr(obj, "_prefetched_objects_cache"):
                obj._prefetched_objects_cache = {}
        prefetch_one_level(found, _Fetched(self.field, related), self.lookup, 0)


class _Fetched:
    """A prefetcher (as a reverse foreign key's related manager is one) whose rows are
    already read: what RelatedManager.get_prefetch_querysets gives, minus the query."""

    def __init__(self, field, rows: list):
        self.field, self.rows = field, rows

    def get_prefetch_querysets(self, instances, querysets=None):
        field = self.field
        by_key = {field.get_foreign_related_value(obj): obj for obj in instances}
        for row in self.rows:  # the reverse side, as Django sets it
            if not field.is_cached(row):
                field.set_cached_value(row, by_key[field.get_local_related_value(row)])
        return (self.rows, field.get_local_related_value, field.get_foreign_related_value,
                False, field.remote_field.cache_name, False)


_TAKES_VALUES = object()


def _parameters(queryset: QuerySet) -> tuple | None:
    try:
        return tuple(queryset.query.get_compiler(using=queryset.db).as_sql()[1])
    except EmptyResultSet:
        return None


def _has_integer_pk(model) -> bool:
    return model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField")


def _converters_kept(compiled: _Compiled, compiler, connection):
    """The compiler's `get_converters`, worked out once per kept statement and connection:
    Django asks every column of every row set for its converters at each run (500 calls
    on a person page)."""
    work_out = type(compiler).get_converters

    def get_converters(expressions):
        key = id(connection)
        if key not in compiled.converters:
            compiled.converters[key] = work_out(compiler, expressions)
        return compiled.converters[key]

    return get_converters


def _shallow(obj, **changes):
    """A copy sharing `obj`'s attributes, with `changes` (not copy.copy: a QuerySet's
    pickling support would run the query)."""
    twin = object.__new__(type(obj))
    twin.__dict__.update(obj.__dict__, **changes)
    return twin


def holds_the_moment(params) -> bool:
    """Whether a parameter is within a minute of now (a statement built with
    `timezone.now()`: reused later, that moment would be wrong)."""
    now = timezone.now()
    return any(abs(moment - now) < timedelta(minutes=1)
               for moment in map(_moment, params) if moment is not None)


def _moment(value) -> datetime | None:
    """A parameter as an aware moment, if it is one (SQLite gets them as UTC text)."""
    if isinstance(value, str) and 19 <= len(value) <= 32 and value[10:11] in (" ", "T"):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)

