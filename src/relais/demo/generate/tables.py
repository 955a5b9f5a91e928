"""Rows built in memory and written in bulk: COPY on PostgreSQL, batched INSERTs on SQLite.

Ids are given by the generator (each table's highest id + 1 when a chunk starts, or where
the chunk before ended when it is built before that one is written), so rows can point at
each other before anything is written and a chunk written again after an interruption
gets the same ids. The sequences are moved past them afterwards.
"""

import json
import uuid
from datetime import date, datetime

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

SQLITE_BATCH = 2_000


class Table:
    """The rows of one model for one chunk, as tuples in the model's column order.

    A value not given is the field's default, fixed once per chunk (a default "now" is
    the dataset's moment, `as_of`, never the clock: a chunk written again is the same).
    """

    def __init__(self, model, as_of: datetime, next_id: int | None = None):
        self.model = model
        fields = model._meta.concrete_fields
        self.names = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.json = {i for i, f in enumerate(fields) if isinstance(f, models.JSONField)}
        self.defaults = tuple(_default(f, as_of) for f in fields)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.rows: list[tuple] = []
        self.next_id = highest_id(model) + 1 if next_id is None else next_id

    def add(self, **values) -> int:
        """Add a row; returns its id (given, or the next one)."""
        if "id" not in values:
            values["id"] = self.next_id
        self.next_id = max(self.next_id, values["id"] + 1)
        row = list(self.defaults)
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        self.rows.append(row)
        return values["id"]

    def write(self) -> int:
        """Write the rows and forget them; returns how many were written."""
        if not self.rows:
            return 0
        for row in self.rows:
            for i in self.json:
                row[i] = json.dumps(row[i]) if row[i] is not None else None
        count = len(self.rows)
        if connection.vendor == "postgresql":
            _copy(self.model._meta.db_table, self.columns, self.rows)
        else:
            _insert(self.model._meta.db_table, self.columns, self.rows)
        self.rows = []
        return count


def _default(field, as_of: datetime):
    if field.primary_key:
        return None
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return as_of
    if field.has_default() and callable(field.default):
        if field.default is timezone.now:
            return as_of
        if field.default is timezone.localdate:
            return timezone.localdate(as_of)
        return field.default()  # dict, list: copied when written (json.dumps)
    return field.get_default()


def highest_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {model._meta.db_table}")  # noqa: S608 - ours
        return cursor.fetchone()[0] or 0


def _copy(table: str, columns: list[str], rows: list) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert(table: str, columns: list[str], rows: list) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    statement = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"  # noqa: S608 - ours
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), SQLITE_BATCH):
            batch = [[adapt(v) if isinstance(v, datetime) else v.isoformat()
                      if isinstance(v, date) else v.hex if isinstance(v, uuid.UUID) else v
                      for v in row] for row in rows[start:start + SQLITE_BATCH]]
            cursor.executemany(statement, batch)


def analyze() -> None:
    """The planner's statistics, once the rows are in: a bulk load leaves the tables
    without any until autovacuum's next look (never where it is off), and the planner
    then reads a table of 200,000 stays end to end to find one person's two (the person
    page took 330 ms at 100,000 persons instead of 40; bench/person_page_scale.py).

    On PostgreSQL, VACUUM too, as autovacuum does to a database in use: until a table is
    vacuumed no page of it is known all-visible, so an index that holds every column a
    query asks (`member_org_person`) still sends it to the table's pages. A coordinator's
    "my work" read 3,172 pages of members for 4,119 rows at 100,000 persons (5.1 ms; 1.4
    after VACUUM), and more at a million, whose pages are not all in memory."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:  # (VACUUM cannot run in a transaction: a test's)
        if not vacuum:
            cursor.execute("ANALYZE")
            return
        tables = ", ".join(connection.ops.quote_name(name) for name in vacuum_order())
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


# VACUUM reads each table whole through the OS's page cache, so the tables it reads last
# are the ones left in memory. A database-wide VACUUM goes in pg_class's order, where the
# audit log's monthly partitions (made by `relais generate` itself) come last: 20 of the
# million persons' 38 GB, which pushed the records' tables out of the cache on a 23 GB
# machine (docs/bench.md, stop 42). The audit log first (written all day, seldom read),
# then the largest table to the smallest; a partitioned table as one (VACUUM goes through
# its partitions, and ANALYZE gives the parent its own statistics).
VACUUM_ORDER = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
ORDER BY (c.relname LIKE 'access\\_auditevent%' OR c.relname LIKE 'audit\\_%') DESC,
         coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree(c.oid)),
                  pg_total_relation_size(c.oid)) DESC,
         c.relname"""


def vacuum_order() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(VACUUM_ORDER)
        return [name for (name,) in cursor.fetchall()]


def move_sequences(models_written) -> None:
    """PostgreSQL's sequences past the ids the generator gave (SQLite's AUTOINCREMENT
    follows by itself), so rows created later by Relais get new ids."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models_written)):
            cursor.execute(statement)
