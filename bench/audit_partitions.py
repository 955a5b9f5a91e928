"""The audit log partitioned by month (PostgreSQL): converting a table that holds events,
then reading it across partitions, against the same events in one plain table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_audit_partitions \
        .venv/bin/python bench/audit_partitions.py [--events 300000] [--months 24]

PostgreSQL only (SQLite keeps one table: the script says so and stops). On a throw-away
database, the audit app is migrated back to `audit 0003` (one plain table, as before
partitions); a child process loads `--events` events spread evenly over the last
`--months` months with COPY (the first 1,000 as the old hash chain wrote them, the others
with their leaf hash as Relais writes them), and they are sealed. Then, in this process:

- before: `audit verify` (events/s) and lookups of an event by id, on the plain table;
- the migration `audit 0004` (the copy into monthly partitions), timed;
- after: the same verify and lookups on the partitioned table;
- the oldest month detached (`relais audit detach`), and verify again: it must count
  the month's events as archived and find nothing else.

This process's peak memory (max RSS) is printed after each verify: it holds one page of
batches and one batch's events at a time, whatever the size of the log. The load average
is printed beside the figures: the machine may be shared.
"""

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import time

import summary
from throwaway import setup_database

LOOKUPS = 2000
CHAINED = 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=24)
    options = parser.parse_args()
    os.environ.setdefault("DEBUG", "0")
    connection = setup_database()
    if connection.vendor != "postgresql":
        print("partitions are PostgreSQL's: set DATABASE_URL to a PostgreSQL database")
        summary.emit("audit_partitions")
        return 0
    print(f"load average before: {_load()}")
    _back_to_one_table(connection)
    started = time.perf_counter()
    loader = multiprocessing.get_context("spawn").Process(
        target=_load_events, args=(options.events, options.months))
    loader.start()
    loader.join()
    if loader.exitcode:
        return 1
    from relais.audit import sealing

    sealing.seal()
    print(f"loaded and sealed {options.events:,} events over {options.months} months in "
          f"{time.perf_counter() - started:.0f} s (load average {_load()})")
    failures = 0

    rate, problems = _verify("before (one table)")
    failures += problems
    lookup = _lookups("before (one table)")
    summary.figure("verify, one table", round(rate), "events/s")
    summary.figure("event by id, one table", round(lookup * 1000, 3), "ms")

    seconds = _migrate(connection)
    from relais.audit import partitions

    count = len(partitions.partitions())
    print(f"migration audit 0004: {options.events:,} events into {count} partitions in "
          f"{seconds:.1f} s = {seconds / options.events * 1e6:.1f} s per million events "
          f"(load average {_load()})")
    summary.figure("migration 0004, per million events",
                   round(seconds / options.events * 1e6, 1), "s")

    rate, problems = _verify(f"after ({count} partitions)")
    failures += problems
    lookup = _lookups(f"after ({count} partitions)")
    summary.figure("verify, partitioned", round(rate), "events/s")
    summary.figure("event by id, partitioned", round(lookup * 1000, 3), "ms")

    failures += _detach_oldest_and_verify(partitions)
    summary.at_most("partitions: failures", failures, "", 0)
    summary.figure("verify peak memory (max RSS)", round(_rss_mb()), "MB")
    summary.emit("audit_partitions")
    return 1 if failures else 0


def _back_to_one_table(connection) -> None:
    """An empty log in one plain table (audit 0003), as an installation before
    partitions; archives of earlier runs dropped."""
    from django.db.migrations.executor import MigrationExecutor

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE access_auditevent, audit_auditbatch RESTART IDENTITY")
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE %s",
                       ["audit_archive_%"])
        for (table,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE "{table}"')
    MigrationExecutor(connection).migrate([("audit", "0003_sealed_batches")])


def _load_events(count: int, months: int) -> None:
    """In a child process (its memory is not this one's): COPY the events in time order."""
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from relais.audit.models import GENESIS_HASH, AuditEvent

    end = timezone.now() - timedelta(days=1)
    start = end - timedelta(days=30.5 * months)
    step = (end - start) / count
    rng = random.Random(18)
    columns = ["seq", "occurred_at", "actor_label", "action", "target_type", "target_id",
               "person_id", "purpose", "break_glass", "request_id", "ip_address", "outcome",
               "detail", "prev_hash", "hash"]
    prev = GENESIS_HASH
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY access_auditevent ({', '.join(columns)}) FROM STDIN") as copy:
        for n in range(count):
            chained = n < CHAINED
            event = AuditEvent(
                seq=n + 1 if chained else None, occurred_at=start + step * n,
                actor_label="", action="person.read", target_type="network.person",
                target_id=str(rng.randint(1, 100_000)), person_id=rng.randint(1, 100_000),
                purpose="", break_glass=False, request_id=f"{rng.getrandbits(64):016x}",
                ip_address=None, outcome="success", detail={"for": "view"},
                prev_hash=prev if chained else "")
            event.hash = event.compute_hash() if chained else event.leaf_hash()
            prev = event.hash if chained else prev
            copy.write_row([getattr(event, name) if name != "detail"
                            else json.dumps(event.detail) for name in columns])


def _verify(label: str) -> tuple[float, int]:
    from relais.audit import verification
    from relais.audit.log import verify_chain

    started = time.perf_counter()
    summary_ = verification.Summary()
    problems = [str(p) for p in verify_chain()]
    problems += [str(p) for p in verification.verify_batches(summary_)]
    seconds = time.perf_counter() - started
    rate = summary_.sealed / seconds
    print(f"verify {label}: {summary_.sealed:,} events in {summary_.batches} batches in "
          f"{seconds:.1f} s = {rate:,.0f} events/s; problems {len(problems)}; archived "
          f"{summary_.archived:,}; peak memory {_rss_mb():.0f} MB (load average {_load()})")
    for problem in problems[:5]:
        print(f"  {problem}")
    return rate, len(problems)


def _lookups(label: str) -> float:
    """Seconds per lookup of one event by id (the audit event's page, `audit proof`)."""
    from relais.audit.models import AuditEvent

    highest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    rng = random.Random(7)
    ids = [rng.randint(1, highest) for _ in range(LOOKUPS)]
    started = time.perf_counter()
    for pk in ids:
        AuditEvent.objects.filter(pk=pk).first()
    seconds = (time.perf_counter() - started) / LOOKUPS
    print(f"event by id {label}: {seconds * 1000:.3f} ms a lookup ({LOOKUPS} lookups)")
    return seconds


def _migrate(connection) -> float:
    from django.db.migrations.executor import MigrationExecutor

    started = time.perf_counter()
    MigrationExecutor(connection).migrate([("audit", "0004_partition_by_month")])
    return time.perf_counter() - started


def _detach_oldest_and_verify(partitions) -> int:
    from relais.audit import sealing, verification

    oldest = next(p for p in partitions.partitions() if p.start is not None)
    started = time.perf_counter()
    event = partitions.detach(oldest.start)
    seconds = time.perf_counter() - started
    count = event.detail["count"]
    print(f"detach {event.detail['month']}: {count:,} events into "
          f"{event.detail['archive']} in {seconds:.2f} s, {len(event.detail['ids'])} id run(s)")
    summary.figure("detach a month", round(seconds, 2), "s")
    sealing.seal()
    time.sleep(sealing.GRACE.total_seconds())
    sealing.seal()
    result = verification.Summary()
    problems = [str(p) for p in verification.verify_batches(result)]
    print(f"verify after detaching: problems {len(problems)}, archived {result.archived:,} "
          f"(the month held {count:,})")
    return len(problems) + (result.archived != count)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
