"""Plain SQL for the few hot paths where building a query costs more than running it.

Measured on the ADT feed (py-spy, bench/adt_feed.py): Django's query compiler and model
machinery took 62 % of the listener's CPU, the database round trips far less. These
helpers keep what the ORM guarantees that matters here (each value prepared by its own
field, defaults and auto timestamps as the model declares them, table and column names
from the model) and skip the rest. Use them only where a benchmark shows the need.
"""

import datetime
import functools
import json

from django.conf import settings
from django.db import connection
from django.db.models import Lookup
from django.utils import timezone

try:  # psycopg's internals, widened by keep_converted_statements below
    from psycopg import _queries as psycopg_queries
except ImportError:  # no PostgreSQL driver
    psycopg_queries = None
try:  # psycopg's C loader for timestamps, given to Django by load_timestamps_in_c below
    from django.db.backends.postgresql.psycopg_any import get_adapters_template
    from psycopg import adapters, pq
    from psycopg.adapt import Loader
    from psycopg.types.datetime import TimestamptzLoader
except ImportError:  # no PostgreSQL driver
    get_adapters_template = None


def fetch_one(template: str, params, **tables) -> tuple | None:
    """The first row of `template`, where {name} stands for the table of the model given
    as name=Model, and {name_columns} for all its columns; values go in `params` only."""
    with connection.cursor() as cursor:
        cursor.execute(_with_tables(template, tables), params)
        return cursor.fetchone()


def _with_tables(template: str, tables: dict) -> str:
    return _statement(template, tuple(sorted(tables.items(), key=lambda item: item[0])),
                      connection.vendor)


@functools.lru_cache(maxsize=256)
def _statement(template: str, tables: tuple, vendor: str) -> str:
    names = {}
    for name, model in tables:
        names[name] = connection.ops.quote_name(model._meta.db_table)
        names[f"{name}_columns"] = columns(model)
    # Only quoted identifiers from the models are put into the text; never a value.
    return template.format(**names)


def columns(model) -> str:
    """The model's concrete columns, quoted, in field order (as `from_db` expects them)."""
    quote = connection.ops.quote_name
    return ", ".join(quote(f.column) for f in model._meta.concrete_fields)


def instance(model, row: tuple | None):
    """A model instance from a row of `columns(model)`, as the ORM would build it (with
    the database's converters: SQLite returns naive times, for one)."""
    if row is None:
        return None
    values = list(row)
    for position, column, converters in _converters(model, connection.vendor):
        for convert in converters:
            values[position] = convert(values[position], column, connection)
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, values)


@functools.cache
def _converters(model, vendor: str) -> list[tuple]:
    found = []
    for position, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(
            connection)
        if converters:
            found.append((position, column, converters))
    return found


def insert_rows(model, rows: list[dict]) -> None:
    """One INSERT of many rows, without model instances. Each row gives attnames
    (`stay_id`, not `stay`); a field left out takes its default, and auto_now(_add)
    fields the current time. No signals are sent and no ids are returned."""
    if not rows:
        return
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: now if (getattr(f, "auto_now", False) or
                                   getattr(f, "auto_now_add", False)) else f.get_default()
                for f in fields}
    values = []
    for row in rows:
        values.extend(f.get_db_prep_save(row.get(f.attname, defaults[f.attname]), connection)
                      for f in fields)
    quote = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    statement = " ".join(["INSERT INTO", quote(model._meta.db_table),
                          "(" + ", ".join(quote(f.column) for f in fields) + ")",
                          "VALUES", ", ".join([one] * len(rows))])
    with connection.cursor() as cursor:
        cursor.execute(statement, values)


class AnyOf(Lookup):
    """`column = ANY(%s::bigint[])`: a list of ids as one parameter (PostgreSQL), where
    `column__in` writes one parameter per id. The statement's text is then the same for
    any number of ids, and PostgreSQL, once it has prepared it, plans it once (a generic
    plan) instead of at every run: planning a gate's question about a search's 128
    candidates cost twice running it. Used as an expression:
    `queryset.filter(AnyOf(F("pk"), ids))`. On SQLite, `column IN (SELECT value FROM
    json_each(%s))`, the ids as one JSON parameter."""

    lookup_name = "any_of"
    prepare_rhs = False
    array = "{rhs}::bigint[]"  # where the ids go: the array itself, or (AnyOfMany) hidden

    def get_db_prep_lookup(self, value, connection):
        if connection.vendor == "postgresql":
            return "%s", [array_literal(value)]
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({self.array.format(rhs=rhs)})", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        # No arrays: the ids as one JSON parameter, read back by json_each.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        ids = [json.dumps(list(value)) for value in rhs_params]
        return f"{lhs} IN (SELECT value FROM json_each({rhs}))", [*lhs_params, *ids]  # noqa: S608


def array_literal(ids) -> str:
    """The ids as PostgreSQL's array literal, `{1,2,3}`, which the server parses: psycopg
    dumps a list in Python, element by element, 2.6 ms for a coordinator's 4,200
    candidate persons (twice on the person list), where joining them takes 0.3 ms."""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


class AnyOfMany(AnyOf):
    """`AnyOf` for thousands of ids (a user's candidate persons): `column = ANY(ARRAY(SELECT
    unnest(%s::bigint[])))`. Where PostgreSQL plans a statement at each run (its generic
    plan is worse: "my work"'s alerts), it weighs each id it can see against the column's
    statistics: planning the alerts took 4.6 ms for 4,300 ids, as long as running them
    (10,000 persons; bench/person_page_scale.py). Behind a subquery the list is one array
    it cannot see: 1.0 ms, and the same plan, an index probe per id. On SQLite, as
    `AnyOf`."""

    lookup_name = "any_of_many"
    array = "ARRAY(SELECT unnest({rhs}::bigint[]))"


# psycopg turns each statement's `%s` placeholders into PostgreSQL's `$1…` at every run,
# and keeps the result only for statements under 4,096 bytes and 50 parameters, 128 of
# them (psycopg/_queries.py: ORMs' INSERTs of a varying number of rows filled the cache
# otherwise). The gate's statements are longer and kept (core/kept.py: the same text from
# one request to the next): converting one again cost 0.13 ms, two milliseconds on a
# person page. These limits keep the conversion for them, still bounded in memory.
CONVERTED_KEPT = 512
CONVERTED_LENGTH_AT_MOST = 16 * 1024
CONVERTED_PARAMETERS_AT_MOST = 400


def keep_converted_statements() -> bool:
    """Widen psycopg's cache of converted statements; False where this psycopg has not
    the internals it widens (a later version: then it converts as it always did)."""
    _queries = psycopg_queries
    names = ("MAX_CACHED_STATEMENT_LENGTH", "MAX_CACHED_STATEMENT_PARAMS", "_query2pg",
             "_query2pg_nocache")
    if _queries is None or not all(hasattr(_queries, name) for name in names):
        return False
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH,
                                               CONVERTED_LENGTH_AT_MOST)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS,
                                               CONVERTED_PARAMETERS_AT_MOST)
    _queries._query2pg = functools.lru_cache(maxsize=CONVERTED_KEPT)(_queries._query2pg_nocache)
    return True


def load_timestamps_in_c() -> bool:
    """Read `timestamp with time zone` with psycopg's C loader, not Django's.

    Django loads each one in Python (a regular expression, then `replace(tzinfo=UTC)`):
    3.3 µs a value where psycopg's C loader takes 0.5, and a page reads dozens (a booklet
    of 25 entries with their readers: 77). With `USE_TZ` and the connection's time zone
    UTC, which Django sets on each connection, the C loader gives the same datetime, in
    `datetime.timezone.utc`. Where Django's connection disagrees (a database's own
    TIME_ZONE), its map of loaders is another one and its loader stays. Should a session's
    time zone not be UTC (a pooler that dropped the SET), the C loader gives the same
    instant in that zone, where Django's would label it UTC: an hour off.
    False where psycopg has no C loader or Django not this shape."""
    if get_adapters_template is None or not settings.USE_TZ:
        return False
    oid = adapters.types["timestamptz"].oid
    c_loader = adapters.get_loader(oid, pq.Format.TEXT)
    if c_loader is None or issubclass(c_loader, TimestamptzLoader):  # Python's own
        return False

    class UtcTimestamptzLoader(Loader):
        """psycopg's C loader (a final class), with what Django's `create_cursor` reads."""

        timezone = datetime.UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self.load = c_loader(oid, context).load  # psycopg calls it: C, no Python frame

        def load(self, data):  # replaced by each instance's (the abstract class asks for it)
            raise NotImplementedError

    get_adapters_template(True, datetime.UTC).register_loader(
        "timestamptz", UtcTimestamptzLoader)
    return True
