"""How fast the audit log is written, sealed and verified, and that tampering is named.

    .venv/bin/python bench/audit_chain.py [--events 40000] [--writers 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench \
        .venv/bin/python bench/audit_chain.py

Uses a throw-away database: a temporary SQLite file, or the PostgreSQL database named in
DATABASE_URL (created if missing, emptied of audit events and batches first).

`--writers` processes each write their share of the events as production does for an
audited read: a request's reads gathered (`audit.reads_gathered`) and written as one
event, its own transaction, with what a request gives it: one of 50 professionals of one
hospital as the actor, that hospital as the acting organisation, a request id and an
address. Meanwhile this process runs the sealer every
`sealing.EVERY` seconds with the production grace, as `relais worker` does. Prints:
audited reads/s (wall clock, all writers) and the writers' CPU time per read; the
sealing delay (from an event's write to the seal of its batch: p50, p95, max);
`audit verify`'s events/s; then it tampers with the log (an update, a delete, two events
swapped, a forged batch root) and prints what verify names for each. The load average is
printed beside the figures: the machine may be shared.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time

import summary
from throwaway import setup_database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--months-kept", type=int, default=0,
                        help="PostgreSQL: partitions of that many past months first (a log "
                             "kept for years: lookups by id probe each)")
    options = parser.parse_args()
    os.environ.setdefault("DEBUG", "0")  # as in production: no query log in memory
    connection = setup_database()
    _empty_audit_log(connection)
    from relais.audit import sealing

    actors = _professionals()
    print(f"database: {connection.vendor}; load average before: {_load()}")
    print(f"audit table: {_layout(options.months_kept)}")
    rate, cpu, server = _write_concurrently(options, sealing, actors)
    summary.at_least(f"audited reads/s, {options.writers} writers", rate, "/s", 5000)
    print(f"write: {options.events} audited reads by {options.writers} processes: "
          f"{rate:,.0f} reads/s; CPU per read: writers {cpu * 1e6 / options.events:.0f} µs"
          + (f", PostgreSQL server {server * 1e6 / options.events:.0f} µs" if server else "")
          + f" (load average {_load()})")
    sealing.seal()  # the last ones, after the grace
    time.sleep(sealing.GRACE.total_seconds())
    sealing.seal()
    _print_sealing_delay()
    failures = _verify_and_time(options.events)
    failures += _tamper_and_verify(connection)
    summary.at_most("verification and tampering: failures", failures, "", 0)
    summary.emit("audit_chain")
    return 1 if failures else 0


def _professionals() -> tuple[int, list[int]]:
    """A hospital and 50 of its staff (the actors of the reads), made once per database."""
    from relais.accounts.models import Organisation, User

    hospital, _ = Organisation.objects.get_or_create(name="Bench hospital",
                                                     defaults={"type": "hospital"})
    staff = [User.objects.get_or_create(email=f"bench-{n}@audit.example",
                                        defaults={"first_name": "Bench"})[0].pk
             for n in range(50)]
    return hospital.pk, staff


def _write_concurrently(options, sealing, actors) -> tuple[float, float, float]:
    """Reads/s, the writers' CPU seconds and their PostgreSQL backends' (each writer reads
    its own backend's before it disconnects: a backend's counters go with it)."""
    context = multiprocessing.get_context("spawn")
    share = options.events // options.writers
    ready, go = context.Barrier(options.writers + 1), context.Event()
    results = context.Queue()
    writers = [context.Process(target=_writer, args=(n, share, ready, go, results, actors))
               for n in range(options.writers)]
    for writer in writers:
        writer.start()
    ready.wait()
    started = time.time()
    go.set()
    while any(writer.is_alive() for writer in writers):
        sealing.seal()  # the worker's clock job, every sealing.EVERY
        time.sleep(sealing.EVERY.total_seconds())
    spent = [results.get() for _ in writers]
    # Until the last writer finished (by its own clock: this loop wakes each EVERY).
    elapsed = max(finished for _, _, finished in spent) - started
    return (share * options.writers / elapsed, sum(own for own, _, _ in spent),
            sum(backend for _, backend, _ in spent))


def _writer(number: int, count: int, ready, go, results, actors) -> None:
    import uuid

    import django

    django.setup()
    from django.db import connection

    from relais.accounts.models import Organisation, User
    from relais.audit import log as audit
    from relais.core import requestcontext

    hospital_pk, staff_pks = actors
    hospital = Organisation.objects.get(pk=hospital_pk)
    staff = list(User.objects.filter(pk__in=staff_pks))
    # The request's context is made by the middleware for any request, audited or not:
    # made before the clock starts, 250 of them in turn.
    contexts = [requestcontext.RequestContext(uuid.uuid4().hex, f"10.0.{number}.{n + 1}",
                                              hospital) for n in range(250)]

    backend_before = 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_before = _process_cpu(cursor.fetchone()[0])
    ready.wait()
    go.wait()
    cpu = time.process_time()
    for n in range(count):
        token = requestcontext.activate(contexts[n % len(contexts)])
        with audit.reads_gathered():  # what GatherReadsMiddleware does for a request
            audit.record_read("person.read", actor=staff[n % len(staff)],
                              person_id=n % 500 + 1, detail={"for": "view"})
        requestcontext.deactivate(token)
    finished = time.time()
    own = time.process_time() - cpu
    from django.db import connection

    backend = 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = _process_cpu(cursor.fetchone()[0]) - backend_before
    results.put((own, backend, finished))


def _print_sealing_delay() -> None:
    from relais.audit.models import AuditBatch, AuditEvent

    sealed_at = dict(AuditBatch.objects.values_list("number", "sealed_at"))
    delays = []
    for batch in AuditBatch.objects.only("number", "first_id", "last_id"):
        written = AuditEvent.objects.filter(id__range=(batch.first_id, batch.last_id))
        delays += [(sealed_at[batch.number] - at).total_seconds()
                   for at in written.values_list("occurred_at", flat=True)]
    delays.sort()
    p95 = delays[int(len(delays) * 0.95)]
    summary.at_most("sealing delay p95", p95, "s", 5)
    print(f"sealing delay (write → sealed) over {len(delays)} events in {len(sealed_at)} "
          f"batches: p50 {statistics.median(delays):.2f} s, p95 {p95:.2f} s, "
          f"max {delays[-1]:.2f} s")


def _verify_and_time(count: int) -> int:
    from relais.audit import verification

    started = time.perf_counter()
    summary = verification.Summary()
    problems = list(verification.verify_batches(summary))
    seconds = time.perf_counter() - started
    print(f"verify: {summary.sealed} events in {summary.batches} batches in {seconds:.2f} s "
          f"= {summary.sealed / seconds:,.0f} events/s; problems: {len(problems)}; "
          f"unsealed: {summary.unsealed}")
    return len(problems) + (summary.sealed != count)


def _tamper_and_verify(connection) -> int:
    from relais.audit import verification
    from relais.audit.models import AuditEvent

    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True)[100:106])
    cases = {
        "update": ("UPDATE access_auditevent SET action = 'x' WHERE id = %s", [ids[0]],
                   f"event id {ids[0]}: content was changed"),
        "delete": ("DELETE FROM access_auditevent WHERE id = %s", [ids[1]],
                   f"event id {ids[1]}: deleted"),
        "reorder": (_swap(ids[3], ids[4]), [], f"event id {ids[3]}: out of order"),
        "forged batch": ("UPDATE audit_auditbatch SET root = %s WHERE number = "
                         "(SELECT MAX(number) FROM audit_auditbatch)", ["f" * 64], "forged"),
    }
    failures = 0
    for name, (sql, params, expected) in cases.items():
        _tamper(connection, sql, params)
        named = [str(p) for p in verification.verify_batches() if expected in str(p)]
        failures += not named
        print(f"tamper {name}: {'named: ' + named[0] if named else 'NOT NAMED'}")
    return failures


def _swap(a: int, b: int) -> str:
    return (f"UPDATE access_auditevent SET id = -1 WHERE id = {a}; "
            f"UPDATE access_auditevent SET id = {a} WHERE id = {b}; "
            f"UPDATE access_auditevent SET id = {b} WHERE id = -1")


def _tamper(connection, sql: str, params) -> None:
    # What someone with database access could do; PostgreSQL's triggers switched off.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        for statement in sql.split("; "):
            cursor.execute(statement, params if "%s" in statement else None)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a local process has used (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            values = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")


def _layout(months_kept: int) -> str:
    """Partitioned by month (PostgreSQL since audit 0004) or one table; how many."""
    from datetime import timedelta

    from django.utils import timezone

    from relais.audit import partitions

    if not partitions.is_partitioned():
        return "one table"
    if months_kept:
        partitions.ensure_span(timezone.now() - timedelta(days=31 * months_kept),
                               timezone.now())
    return f"partitioned by month, {len(partitions.partitions())} partitions"


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def _empty_audit_log(connection) -> None:
    # TRUNCATE is not an UPDATE/DELETE: allowed on this throw-away database only.
    with connection.cursor() as cursor:
        for table in ("access_auditevent", "audit_auditbatch"):
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table} RESTART IDENTITY")
            else:
                cursor.execute(f"DELETE FROM {table}")


if __name__ == "__main__":
    sys.exit(main())
