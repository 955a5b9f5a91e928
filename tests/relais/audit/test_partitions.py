"""The audit log partitioned by month on PostgreSQL (migration 0004, `audit.partitions`):
the conversion of a table that holds events (chained ones too), partitions made ahead
by the worker, a default partition, the append-only trigger on every partition, and
`relais audit verify` naming tampering across partitions, reading in bounded pages."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.audit import log as audit
from relais.audit import partitions, sealing, verification
from relais.audit.log import verify_chain
from relais.audit.models import GENESIS_HASH, AuditEvent
from relais.core import clock

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="partitions are PostgreSQL's")
NOW = timedelta(0)
TABLE = "access_auditevent"


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def events_at(moment: datetime, count: int, time_machine) -> list[AuditEvent]:
    """Events written as Relais writes them, at `moment` (the clock moved there)."""
    present = timezone.now()
    time_machine.move_to(moment, tick=False)
    events = [audit.record("test.event", detail={"n": n}) for n in range(count)]
    time_machine.move_to(present, tick=False)
    return events


def partition_of(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {TABLE} WHERE id = %s",  # noqa: S608
                       [event_id])
        return cursor.fetchone()[0]


def tamper(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        if ON_POSTGRES:  # a superuser can switch triggers off; that is what we simulate
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("SET session_replication_role = origin")


def problems() -> list[str]:
    return [str(problem) for problem in verification.verify_batches()]


def verify_output(capsys) -> str:
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    return capsys.readouterr().err + str(error.value)


# --- the partitioned table -------------------------------------------------------------


@postgres_only
def test_the_log_is_partitioned_by_month_with_the_months_ahead_and_a_default():
    assert partitions.is_partitioned()
    this_month = partitions.month_start(timezone.now())
    months = [p.start for p in partitions.partitions()]
    coming = [this_month, partitions.next_month(this_month),
              partitions.next_month(partitions.next_month(this_month))]
    assert set(coming) <= set(months) and months[-1] is None  # the default, last
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'p'", [TABLE])
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, occurred_at)"


@postgres_only
def test_an_event_of_any_time_is_written_into_its_month_or_the_default(time_machine):
    [now] = events_at(timezone.now(), 1, time_machine)
    [old] = events_at(at(1999, 5), 1, time_machine)
    assert partition_of(now.pk) == partitions.name_of(partitions.month_start(now.occurred_at))
    assert partition_of(old.pk) == partitions.DEFAULT
    sealing.seal(grace=NOW)
    assert problems() == []


@postgres_only
def test_the_append_only_trigger_is_on_every_partition(time_machine):
    partitions.ensure_span(at(2024, 1), at(2024, 2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, EXISTS (SELECT 1 FROM pg_trigger t WHERE "
                       "t.tgrelid = c.oid AND t.tgname = 'access_auditevent_append_only') "
                       "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                       "WHERE i.inhparent = %s::regclass", [TABLE])
        triggers = dict(cursor.fetchall())
    assert len(triggers) >= 6 and all(triggers.values()), triggers
    for moment in (at(2024, 1), at(1999, 1), timezone.now()):  # two months, the default
        [event] = events_at(moment, 1, time_machine)
        for statement in (f"UPDATE {TABLE} SET action = 'x' WHERE id = %s",
                          f"DELETE FROM {TABLE} WHERE id = %s"):
            with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
                  connection.cursor() as cursor):
                cursor.execute(statement, [event.pk])
    with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
          connection.cursor() as cursor):  # nor moved to another month
        cursor.execute(f"UPDATE {TABLE} SET occurred_at = %s WHERE id = %s",
                       [at(2024, 2), event.pk])


@postgres_only
def test_the_worker_makes_the_coming_months_once():
    later = at(2031, 11, 30)
    assert partitions.ensure(later) == 3  # 2031-11, 2031-12, 2032-01
    assert partitions.ensure(later) == 0
    names = [p.name for p in partitions.partitions()]
    assert {f"{TABLE}_y2031m11", f"{TABLE}_y2031m12", f"{TABLE}_y2032m01"} <= set(names)
    assert "audit.partitions" in clock.JOBS  # the worker's clock runs it every hour


@postgres_only
def test_a_month_found_in_the_default_partition_gets_its_own(time_machine):
    events = events_at(at(2020, 3), 2, time_machine)
    sealing.seal(grace=NOW)
    assert {partition_of(e.pk) for e in events} == {partitions.DEFAULT}
    assert partitions.ensure() == 1
    assert {partition_of(e.pk) for e in events} == {f"{TABLE}_y2020m03"}
    assert problems() == []  # moved as they were: same ids, same content


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_several_workers_making_partitions_at_once_make_each_once():
    made, errors = [], []

    def worker():
        try:
            made.append(partitions.ensure(at(2033, 6), ahead=5))
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(3)]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        partitions.ensure(at(2033, 6), ahead=5)  # what a busy worker skipped
        months = [p.month for p in partitions.partitions()]
        assert errors == [] and sum(made) <= 6
        assert [m for m in months if m.startswith("2033")] == [
            "2033-06", "2033-07", "2033-08", "2033-09", "2033-10", "2033-11"]
    finally:
        with connection.cursor() as cursor:
            for month in range(6, 12):
                cursor.execute(f"DROP TABLE IF EXISTS {TABLE}_y2033m{month:02d}")


# --- verify across partitions ------------------------------------------------------------


def test_verify_names_tampering_in_two_different_partitions(capsys, time_machine):
    partitions.ensure_span(at(2025, 1), at(2025, 3))
    january = events_at(at(2025, 1), 3, time_machine)
    march = events_at(at(2025, 3), 3, time_machine)
    sealing.seal(grace=NOW)
    if ON_POSTGRES:
        assert partition_of(january[1].pk) == f"{TABLE}_y2025m01"
        assert partition_of(march[1].pk) == f"{TABLE}_y2025m03"
    tamper(f"UPDATE {TABLE} SET action = 'harmless.thing' WHERE id = %s", [january[1].pk])
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [march[1].pk])
    output = verify_output(capsys)
    assert f"event id {january[1].pk}: content was changed after batch #1" in output
    assert f"event id {march[1].pk}: deleted: batch #1" in output
    assert output.count("BROKEN") == 2


@postgres_only
def test_verify_names_a_second_row_with_a_sealed_events_id(capsys, time_machine):
    """A partitioned table cannot refuse a repeated id (its key holds the month)."""
    partitions.ensure_span(at(2025, 1), at(2025, 2))
    [event] = events_at(at(2025, 1), 1, time_machine)
    sealing.seal(grace=NOW)
    columns = ", ".join(f.column for f in AuditEvent._meta.concrete_fields)
    copied = columns.replace("occurred_at", "%s")
    tamper(f"INSERT INTO {TABLE} ({columns}) SELECT {copied} FROM {TABLE} "  # noqa: S608
           "WHERE id = %s", [at(2025, 2), event.pk])
    output = verify_output(capsys)
    assert f"event id {event.pk}: 2 rows have this id; 1 of them batch #1" in output
    assert output.count("BROKEN") == 1


def test_verify_reads_batches_and_unsealed_events_in_pages(monkeypatch):
    monkeypatch.setattr(sealing, "MAX_BATCH", 3)
    events = [audit.record("test.event", detail={"n": n}) for n in range(14)]
    sealing.seal(grace=NOW)
    more = [audit.record("test.event", detail={"n": n}) for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        batches = list(verification._batches(page=2))
    assert [b.number for b in batches] == [1, 2, 3, 4, 5] and len(queries) == 3
    with CaptureQueriesContext(connection) as queries:
        unsealed = list(verification._pages(AuditEvent.objects.filter(
            id__gt=events[-1].pk), 2))
    assert [e.pk for e in unsealed] == [e.pk for e in more] and len(queries) == 3
    summary = verification.Summary()
    assert list(verification.verify_batches(summary, chunk=2)) == []
    assert (summary.batches, summary.sealed, summary.unsealed) == (5, 14, 5)


# --- retention: a month detached ---------------------------------------------------------


@postgres_only
def test_a_detached_month_is_archived_not_deleted_and_other_tampering_still_shows(
        capsys, time_machine):
    partitions.ensure_span(at(2024, 1), at(2024, 2))
    january = events_at(at(2024, 1), 3, time_machine)
    february = events_at(at(2024, 2), 2, time_machine)
    sealing.seal(grace=NOW)
    call_command("audit", "detach", "2024-01")
    assert "3 events detached into audit_archive_y2024m01" in capsys.readouterr().out
    assert f"{TABLE}_y2024m01" not in [p.name for p in partitions.partitions()]
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in january]).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_archive_y2024m01")
        assert cursor.fetchone()[0] == 3
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM audit_archive_y2024m01")
    sealing.seal(grace=NOW)  # the detachment's own event
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "ARCHIVED 2024-01: 3 events in audit_archive_y2024m01" in out
    assert "3 archived" in out and "audit log OK" in out
    tamper(f"DELETE FROM {TABLE} WHERE id = %s", [february[0].pk])
    output = verify_output(capsys)
    assert f"event id {february[0].pk}: deleted" in output and output.count("BROKEN") == 1


@postgres_only
def test_a_month_is_not_detached_before_it_is_over_and_sealed(time_machine):
    partitions.ensure_span(at(2024, 5), at(2024, 5))
    events_at(at(2024, 5), 1, time_machine)
    with pytest.raises(partitions.PartitionError, match="not sealed yet"):
        partitions.detach(at(2024, 5))
    with pytest.raises(partitions.PartitionError, match="not over yet"):
        partitions.detach(timezone.now())
    with pytest.raises(CommandError, match="which month"):
        call_command("audit", "detach", "May")


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's one table; PostgreSQL's partitions above")
def test_on_sqlite_the_log_is_one_table():
    assert not partitions.is_partitioned() and partitions.ensure() == 0
    assert partitions.partitions() == []


# --- the migration: a table with events of several months, chained ones too --------------


def migrate_audit_to(target: str) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("audit", target)])


def migrate_audit_to_the_latest() -> None:
    """Back to where every other test expects the database: the audit app's last migration
    (a later test, the restore drill, compares the migrations applied)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("audit"))


def relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [TABLE])
        return cursor.fetchone()[0]


def chained_events(months: list[datetime]) -> list[AuditEvent]:
    """Events as the hash chain wrote them before batches (seq, prev_hash, hash)."""
    events, prev = [], GENESIS_HASH
    for n, moment in enumerate(months, start=1):
        event = AuditEvent(seq=n, prev_hash=prev, occurred_at=moment, action="old.event",
                           outcome="success", detail={"n": n})
        event.hash = prev = event.compute_hash()
        events.append(event)
    return AuditEvent.objects.bulk_create(events)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_migration_partitions_a_table_holding_events_of_several_months(time_machine):
    migrate_audit_to("0003_sealed_batches")
    try:
        assert relkind() == "r"
        chained = chained_events([at(2025, 9, 2), at(2025, 9, 30), at(2025, 10, 1)])
        written = [*events_at(at(2025, 10), 2, time_machine),
                   *events_at(at(2025, 12), 2, time_machine)]
        sealing.seal(grace=NOW)  # the chain and two months sealed in batch #1
        unsealed = events_at(at(2026, 1, 3), 1, time_machine)  # sealed after the migration
        before = list(AuditEvent.objects.order_by("id").values_list("id", "hash"))
        migrate_audit_to("0004_partition_by_month")
        assert relkind() == "p"
        assert list(AuditEvent.objects.order_by("id").values_list("id", "hash")) == before
        months = {p.month for p in partitions.partitions()}
        assert {"2025-09", "2025-10", "2025-12", "2026-01", "default"} <= months
        assert "2025-11" not in months  # no event then
        assert partition_of(chained[2].pk) == f"{TABLE}_y2025m10"
        assert partition_of(unsealed[0].pk) == f"{TABLE}_y2026m01"
        new = audit.record("test.after")  # the id sequence goes on where it was
        assert new.pk > max(pk for pk, _ in before)
        assert sealing.seal(grace=NOW) == 2
        assert problems() == [] and list(verify_chain()) == []
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [TABLE])
            indexes = {row[0] for row in cursor.fetchall()}
        assert {"audit_target", "access_auditevent_pkey", "access_auditevent_seq_key"} <= indexes
        tamper(f"UPDATE {TABLE} SET detail = '{{}}' WHERE seq = 2")
        assert [str(p) for p in verify_chain()] == [
            f"event #2 (id {chained[1].pk}): content was changed after it was written"]
        assert problems() == [f"event id {chained[1].pk}: content was changed after batch "
                              f"#1 (events 1–{written[-1].pk}) sealed it"]
        # And back: one plain table, the same rows, seq unique again.
        migrate_audit_to("0003_sealed_batches")
        assert relkind() == "r"
        assert AuditEvent.objects.count() == len(before) + 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE "
                           "conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY 1",
                           [TABLE])
            assert [row[0] for row in cursor.fetchall()] == ["PRIMARY KEY (id)",
                                                             "UNIQUE (seq)"]
    finally:
        migrate_audit_to_the_latest()
    assert relkind() == "p"
    with connection.cursor() as cursor:  # 0005 on the partitioned table: no foreign keys
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "AND contype = 'f'", [TABLE])
        assert cursor.fetchone() == (0,)
