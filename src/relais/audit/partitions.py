"""The audit events' monthly partitions on PostgreSQL: made ahead, and detached for retention.

Migration `audit/0004` partitions `access_auditevent` by month of `occurred_at` (UTC),
with a default partition that takes any event no month partition takes, so an insert
never fails. The worker's clock runs `ensure` every hour: the current month and the next
`AHEAD` get their partition, and a month found in the default partition (an event dated
before the oldest partition, or after a worker stopped for months) gets its own, its
rows moved out of the default. Safe with several workers: a transaction-scoped advisory
lock (PgBouncer's transaction pooling keeps it), a partition made as a table then
attached (a lock that lets inserts and reads go on), and a short lock timeout: a worker
that cannot have its locks at once gives up and tries again at the next run, rather than
queueing every insert behind it.

Retention (`detach`): a month whose events are all sealed is detached from the log and
kept as a plain table (`audit_archive_yYYYYmMM`, append-only like the log) for the
operations team to dump and drop. The detachment is itself an audit event naming the
ids it took out; `relais audit verify` counts those ids as archived, not deleted
(docs/audit.md, "Partitions").

On SQLite (one plain table) every function here does nothing.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from relais.audit import log, sealing
from relais.audit.models import AuditBatch, AuditEvent
from relais.core import clock

TABLE = AuditEvent._meta.db_table
DEFAULT = f"{TABLE}_default"
AHEAD = 2  # months made ahead, after the current one
EVERY = timedelta(hours=1)
LOCK_TIMEOUT = "2s"  # a lock not had at once: give up, try again at the next run
DETACHED = "audit_partition.detach"  # the audit event that records a detachment
_LOCK = "relais.audit.partitions"
_BOUNDS = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


class PartitionError(Exception):
    """A partition cannot be detached (not sealed yet, the current month, not there)."""


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None: the default partition
    end: datetime | None
    rows: int  # PostgreSQL's estimate (pg_class.reltuples), -1 when never analysed

    @property
    def month(self) -> str:
        return f"{self.start:%Y-%m}" if self.start else "default"


def register() -> None:
    """`ensure` as a job of the worker's clock (called when the app is ready)."""
    clock.register("audit.partitions", EVERY, lambda now: ensure(now))


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def name_of(month: datetime) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def partitions() -> list[Partition]:
    """The partitions attached now, in month order, the default last."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples "
                       "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass", [TABLE])
        rows = cursor.fetchall()
    found = []
    for name, bound, estimate in rows:
        match = _BOUNDS.search(bound)
        start, end = ((datetime.fromisoformat(match[1]), datetime.fromisoformat(match[2]))
                      if match else (None, None))
        found.append(Partition(name, start, end, int(estimate)))
    latest = datetime.max.replace(tzinfo=UTC)
    return sorted(found, key=lambda p: (p.start or latest, p.name))


def ensure(now: datetime | None = None, *, ahead: int = AHEAD) -> int:
    """Make the partitions of the current month and the next `ahead`, and of every month
    that has events in the default partition; returns how many were made. Each month in
    its own transaction; a month another worker is making is left to it."""
    if not is_partitioned():
        return 0
    month, wanted = month_start(now or timezone.now()), []
    for _ in range(ahead + 1):
        wanted.append(month)
        month = next_month(month)
    made = 0
    for month in sorted(set(wanted) | set(_months_in_default())):
        made += _make(month)
    return made


def ensure_span(first: datetime, last: datetime) -> int:
    """Every month from `first` to `last` gets its partition (for loading events of the
    past in bulk, such as `relais generate`, without filling the default partition)."""
    if not is_partitioned():
        return 0
    made, month = 0, month_start(first)
    while month <= last:
        made += _make(month)
        month = next_month(month)
    return made


def _months_in_default() -> list[datetime]:
    """The months of the rows in the default partition: empty, or nearly, in use."""
    with connection.cursor() as cursor:
        month = "date_trunc('month', occurred_at AT TIME ZONE 'UTC')"
        cursor.execute(f"SELECT DISTINCT {month} FROM {DEFAULT}")  # noqa: S608 - ours
        return [row[0].replace(tzinfo=UTC) for row in cursor.fetchall()]


def _make(month: datetime) -> int:
    """One month's partition, if no partition covers it yet; 1 if made here."""
    end = next_month(month)
    name = name_of(month)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [_LOCK])
        if not cursor.fetchone()[0]:
            return 0  # another worker is making partitions now
        if any(p.start is not None and p.start < end and month < p.end
               for p in partitions()):
            return 0
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # A table first, attached afterwards: CREATE TABLE … PARTITION OF would lock the
        # whole log against inserts; ATTACH lets them go on.
        cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS "
                       "INCLUDING CONSTRAINTS INCLUDING STORAGE)")
        start_sql, end_sql = _literal(month), _literal(end)  # DDL takes no parameters
        cursor.execute(f"SELECT 1 FROM {DEFAULT} WHERE occurred_at >= {start_sql} "  # noqa: S608
                       f"AND occurred_at < {end_sql} LIMIT 1")
        if cursor.fetchone():
            _move_from_default(cursor, name, start_sql, end_sql)
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
                       f"FOR VALUES FROM ({start_sql}) TO ({end_sql})")
    return 1


def _move_from_default(cursor, name: str, start: str, end: str) -> None:
    """The month's rows leave the default partition for their own, as they are (ids,
    hashes): the append-only trigger is switched off on the default partition for this
    one statement, in this transaction (the table's owner may; a failure puts it back).
    Deferred foreign-key checks are run first: ALTER TABLE refuses pending ones."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f"ALTER TABLE {DEFAULT} DISABLE TRIGGER access_auditevent_append_only")
    cursor.execute(f"WITH moved AS (DELETE FROM {DEFAULT} WHERE occurred_at >= {start} "  # noqa: S608
                   f"AND occurred_at < {end} RETURNING *) INSERT INTO {name} SELECT * FROM moved")
    cursor.execute(f"ALTER TABLE {DEFAULT} ENABLE TRIGGER access_auditevent_append_only")


def _literal(month: datetime) -> str:
    """A month's first instant as SQL: made here from a datetime, never from input."""
    return f"'{month:%Y-%m-%d} 00:00:00+00'"


# --- retention ------------------------------------------------------------------------


def archive_name(month: datetime) -> str:
    return f"audit_archive_y{month.year:04d}m{month.month:02d}"


def detach(month: datetime, *, now: datetime | None = None) -> AuditEvent:
    """Take a past month's partition out of the log, kept as `audit_archive_yYYYYmMM`.

    Refused unless the month is over by more than the sealer's late window and every
    event in it is sealed (a detached event can no longer be sealed). The detachment is
    recorded, in the same transaction, as an audit event that names the ids taken out
    (as runs [a, b]), their count and the archive table: `relais audit verify` reads it
    and counts those ids as archived."""
    now = now or timezone.now()
    month = month_start(month)
    end = next_month(month)
    if not is_partitioned():
        raise PartitionError("the audit log is not partitioned (PostgreSQL only)")
    found = [p for p in partitions() if p.start == month]
    if not found:
        raise PartitionError(f"no partition for {month:%Y-%m}")
    if end + sealing.LATE_WINDOW > now:
        raise PartitionError(f"{month:%Y-%m} is not over yet, or ended less than "
                             f"{sealing.LATE_WINDOW} ago (events may still be sealed)")
    partition = found[0]
    sealed_up_to = AuditBatch.objects.order_by("-number").values_list("last_id", flat=True)
    sealed_up_to = sealed_up_to.first() or 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"LOCK TABLE {partition.name} IN SHARE MODE")  # no writes meanwhile
        cursor.execute(f"SELECT count(*), max(id) FROM {partition.name}")  # noqa: S608
        count, highest = cursor.fetchone()
        if highest is not None and highest > sealed_up_to:
            raise PartitionError(f"{month:%Y-%m} has events not sealed yet (up to id "
                                 f"{highest}; sealed up to {sealed_up_to})")
        runs = _id_runs(cursor, partition.name)
        archive = archive_name(month)
        event = log.record(DETACHED, target_type="audit.partition", target_id=archive,
                           detail={"month": f"{month:%Y-%m}", "from": month.isoformat(),
                                   "to": end.isoformat(), "count": count, "ids": runs,
                                   "archive": archive})
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
        cursor.execute(f"ALTER TABLE {partition.name} RENAME TO {archive}")
        # Detaching drops the trigger PostgreSQL had cloned: the archive keeps its own.
        cursor.execute(f"CREATE TRIGGER {archive}_append_only BEFORE UPDATE OR DELETE ON "
                       f"{archive} FOR EACH ROW EXECUTE FUNCTION relais_audit_append_only()")
    return event


def _id_runs(cursor, table: str) -> list[list[int]]:
    """The ids of a table as runs [a, b] of consecutive ids, computed by the database
    (gaps and islands): one row per run, however many events."""
    cursor.execute(f"SELECT min(id), max(id) FROM (SELECT id, id - row_number() OVER "  # noqa: S608
                   f"(ORDER BY id) AS island FROM {table}) AS ids GROUP BY island ORDER BY 1")
    return [[start, end] for start, end in cursor.fetchall()]


def detached() -> list[AuditEvent]:
    """The detachments recorded in the log, oldest first."""
    return list(AuditEvent.objects.filter(action=DETACHED).order_by("id"))
