"""On PostgreSQL the audit events' table becomes partitioned by month of `occurred_at`.

The table (`access_auditevent`) is made again as `PARTITION BY RANGE (occurred_at)`: one
partition per month that holds events, the current month and the next two
(`relais.audit.partitions.AHEAD`), and a default partition so that an insert never fails.
Every row is copied with its id, the identity sequence goes on where it was, the indexes,
foreign keys and checks are made again under their names, and the append-only trigger is
put on the partitioned table: PostgreSQL gives it to every partition, now and later.

What partitioning changes (docs/audit.md, "Partitions"): the primary key is
`(id, occurred_at)` (a partitioned table's unique keys must hold the partition key) and
`seq`'s uniqueness becomes a plain index. Django's state is unchanged: `id` is still the
model's primary key, because ids come from one sequence and rows are never updated
(the trigger); `relais audit verify` names a second row with an id.

SQLite keeps one plain table: nothing runs there. The copy takes the table's size again
on disk while it runs, and time (docs/deploy.md, "Upgrade").
"""

from django.db import migrations

TABLE = "access_auditevent"
TRIGGER = "access_auditevent_append_only"
AHEAD = 2  # months after the current one (relais.audit.partitions.AHEAD, at that time)
WAS_UNIQUE = "relais: was "  # the comment that lets the way back make the index unique again


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _is_partitioned(cursor):
            return
        constraints, indexes, sequence = _definitions(cursor)
        grants = _grants(cursor)
        old = f"{TABLE}_unpartitioned"
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
        cursor.execute(f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS INCLUDING "
                       "IDENTITY INCLUDING STORAGE INCLUDING COMMENTS) "
                       "PARTITION BY RANGE (occurred_at)")
        for month in _months(cursor, old):
            _create_month(cursor, month)
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {old}")  # noqa: S608 - names ours
        cursor.execute(f"DROP TABLE {old}")
        _continue_sequence(cursor, sequence)
        for name, kind, definition in constraints:
            if kind == "p":  # the partition key joins the primary key
                definition = "PRIMARY KEY (id, occurred_at)"
            elif kind == "u":  # a unique index must hold the partition key: a plain one
                column = definition.removeprefix("UNIQUE ").strip("()")
                cursor.execute(f"CREATE INDEX {name} ON {TABLE} ({column}) "
                               f"WHERE {column} IS NOT NULL")
                comment = schema_editor.quote_value(WAS_UNIQUE + definition)
                cursor.execute(f"COMMENT ON INDEX {name} IS {comment}")
                continue
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
        for definition in indexes:
            cursor.execute(definition)
        _append_only(cursor)
        for grant in grants:
            cursor.execute(grant)
        cursor.execute(f"ANALYZE {TABLE}")


def unpartition(apps, schema_editor):
    """The way back: one plain table again, with the same rows, ids and names."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _is_partitioned(cursor):
            return
        constraints, indexes, sequence = _definitions(cursor)
        grants = _grants(cursor)
        cursor.execute("SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_index i "
                       "JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE i.indrelid = %s::regclass", [TABLE])
        was_unique = {name: comment.removeprefix(WAS_UNIQUE)
                      for name, comment in cursor.fetchall()
                      if comment and comment.startswith(WAS_UNIQUE)}
        old = f"{TABLE}_partitioned"
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
        cursor.execute(f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS INCLUDING "
                       "IDENTITY INCLUDING STORAGE INCLUDING COMMENTS)")
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {old}")  # noqa: S608 - names ours
        cursor.execute(f"DROP TABLE {old}")  # and its partitions
        _continue_sequence(cursor, sequence)
        for name, kind, definition in constraints:
            if kind == "p":
                definition = "PRIMARY KEY (id)"
            cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
        for definition in indexes:
            name = definition.removeprefix("CREATE UNIQUE ").removeprefix("CREATE ").split()[1]
            if name in was_unique:
                cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {was_unique[name]}")
            else:
                cursor.execute(definition)
        _append_only(cursor)
        for grant in grants:
            cursor.execute(grant)
        cursor.execute(f"ANALYZE {TABLE}")


def _is_partitioned(cursor) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
    return cursor.fetchone()[0] == "p"


def _definitions(cursor):
    """The table's constraints (name, kind, SQL), its other indexes (SQL, made on the
    same name) and its id sequence's position, read before the table is made again."""
    cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c') "
                   "ORDER BY contype DESC, conname", [TABLE])
    constraints = cursor.fetchall()
    cursor.execute("SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
                   "WHERE i.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM "
                   "pg_constraint c WHERE c.conindid = i.indexrelid "
                   "AND c.conrelid = i.indrelid) ORDER BY i.indexrelid", [TABLE])
    # A partitioned table's index reads "ON ONLY": made on the plain table, drop it.
    indexes = [row[0].replace(" ON ONLY ", " ON ") for row in cursor.fetchall()]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - catalogue
    return constraints, indexes, cursor.fetchone()


def _grants(cursor) -> list[str]:
    """The privileges other roles hold on the table (a reporting role, say), as GRANTs."""
    cursor.execute("SELECT grantee, privilege_type FROM information_schema.role_table_grants "
                   "WHERE table_schema = current_schema() AND table_name = %s "
                   "AND grantee <> (SELECT tableowner FROM pg_tables WHERE tablename = %s "
                   "AND schemaname = current_schema())", [TABLE, TABLE])
    return [f"GRANT {privilege} ON TABLE {TABLE} TO "
            + ("PUBLIC" if grantee == "PUBLIC" else '"' + grantee.replace('"', '""') + '"')
            for grantee, privilege in cursor.fetchall()]


def _months(cursor, table):
    """The first day (UTC) of every month that holds an event, with the current month and
    the next AHEAD: one index probe per month (a loose index scan on occurred_at)."""
    cursor.execute(f"""
        WITH RECURSIVE month(start) AS (
            SELECT date_trunc('month', min(occurred_at) AT TIME ZONE 'UTC') FROM {table}
            UNION ALL
            SELECT (SELECT date_trunc('month', min(occurred_at) AT TIME ZONE 'UTC')
                    FROM {table} WHERE occurred_at >= ((month.start + interval '1 month')
                                                       AT TIME ZONE 'UTC'))
            FROM month WHERE month.start IS NOT NULL
        )
        SELECT start FROM month WHERE start IS NOT NULL
        UNION
        SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + n * interval '1 month'
        FROM generate_series(0, {AHEAD}) AS n
        ORDER BY 1""")  # noqa: S608 - the table's name is ours
    return [row[0] for row in cursor.fetchall()]


def _create_month(cursor, month) -> None:
    """The month's partition, named access_auditevent_yYYYYmMM, bounds in UTC."""
    end = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    cursor.execute(f"CREATE TABLE {TABLE}_y{month.year:04d}m{month.month:02d} PARTITION OF "
                   f"{TABLE} FOR VALUES FROM ('{month:%Y-%m-%d} 00:00:00+00') "
                   f"TO ('{end:%Y-%m-%d} 00:00:00+00')")


def _continue_sequence(cursor, position) -> None:
    """The id sequence (made with the new table) goes on where the old one was, under
    the old one's name."""
    last_value, is_called = position
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
    if sequence.split(".")[-1].strip('"') != f"{TABLE}_id_seq":
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {TABLE}_id_seq")


def _append_only(cursor) -> None:
    """The trigger of `access/0002` (its function still exists), on the new table: on a
    partitioned table PostgreSQL clones it onto every partition, also those made later."""
    cursor.execute(f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION relais_audit_append_only()")


class Migration(migrations.Migration):

    # Rewrites the whole table in one transaction: nothing else should run meanwhile.
    atomic = True

    dependencies = [
        ('audit', '0003_sealed_batches'),
    ]

    operations = [migrations.RunPython(partition, unpartition)]
