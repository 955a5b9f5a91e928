"""The person page and the booklet as the database grows (issue 18): the same pages, the
same kind of user, at 10,000 persons and at a larger size.

    .venv/bin/python bench/person_page_scale.py [--sizes 10000,100000] [--opens 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_person_page_scale \\
        .venv/bin/python bench/person_page_scale.py --sizes 10000,1000000

For each size, a PostgreSQL database of its own on DATABASE_URL's server
(`relais_bench_scale_<size>`), filled by `relais generate --persons <size>` if it is empty
(kept between runs; generating 1,000,000 persons takes over an hour, docs/bench.md),
then checkpointed, so that the opens do not wait behind the load's write-back.
A generated coordinator of the first home-care coordination centre (which keeps about
5,000 persons whatever the size: what grows is everyone else) signs in under gunicorn
(bench/pages.py: 2 workers, production settings; password, then the TOTP code) and opens
the network page, then the booklet, of --opens persons they may read, drawn at random
(seeded), one request after another: p50, p95, and the workers' CPU per request; then,
printed beside, each person's timeline and consultations list, and as often "my work",
the team's work, the person list and the referral inbox.

Goal (issue 18): the person page p95 ≤ 60 ms at the largest size and ≤ 1.3× its p95 at
10,000 persons (the first size); the booklet's p95 is printed beside it. And at each size,
among the generated persons, bench/booklet.py's two of its own (made once: 10,000 entries
and 10), whose first pages its writer opens in turns: goal p50 ≤ 1.2× (issue 18).
Last, mixed browsing on the population (bench/pages.py does it on the demo care zone): wrk
with 16 connections for --mixed-seconds on the minimal signed-in page, then as long on the
coordinator's pages in turn (each sampled person's network page, booklet and timeline,
then one of the lists): goal ≥ 0.35× the minimal page's req/s; and each gunicorn worker's
resident memory after it (goal ≤ 150 MB, which bench/load.py asks after 10 minutes).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import summary

RESULT = "PERSON-PAGE-SCALE "
P95_GOAL_MS = 60
# The other pages a coordinator opens all day, printed beside: lists over one person, or
# over everything of theirs (my work), that must not grow with the database either.
OTHER_PAGES = {"timeline": "/persons/{pk}/timeline/",
               "consultations": "/persons/{pk}/consultations/", "my work": "/work/",
               "my team's work": "/work/?team=1", "person list": "/persons/",
               "referral inbox": "/referrals/"}
GROWTH_GOAL = 1.3
# Issue 18, at the national size: the first page of a booklet of 10,000 entries ≤ 1.2× that
# of a booklet of 10 (p50s), both among the population's own (bench/booklet.py's rule, on
# its own smaller database).
LONG, SHORT, LENGTH_GOAL = 10_000, 10, 1.2
# Issue 18: mixed signed-in browsing ≥ 0.35× the minimal signed-in page's throughput in
# the same run (bench/pages.py measures it on the demo care zone; here, on the population),
# and each gunicorn worker ≤ 150 MB resident (bench/load.py: after 10 minutes).
MIXED_GOAL, RSS_GOAL_MB = 0.35, 150
# The lists a coordinator goes back to between persons, one after each person's pages.
LISTS = ["/work/", "/persons/", "/referrals/", "/work/?team=1"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--opens", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--prewarm", action="store_true",
                        help="read every table but the audit log's into the OS's cache first, "
                        "as a database in use keeps them (pg_prewarm)")
    parser.add_argument("--mixed-seconds", type=int, default=30,
                        help="wrk's seconds on the minimal page, then on the mixed pages")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn's workers (bench/pages.py's --workers)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: one size, this DB
    options = parser.parse_args()
    if options.one:
        return _measure_one(int(options.one), options)
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
    if not server.startswith("postgres"):
        print("this bench needs PostgreSQL (DATABASE_URL)", file=sys.stderr)
        return 1
    server = server.rsplit("/", 1)[0]
    results = []
    for size in [int(size) for size in options.sizes.split(",")]:
        child = subprocess.run(  # noqa: S603 - our own arguments
            [sys.executable, __file__, "--one", str(size), "--opens", str(options.opens),
             "--seed", str(options.seed), "--mixed-seconds", str(options.mixed_seconds),
             "--workers", str(options.workers),
             *(["--prewarm"] if options.prewarm else [])],
            env=dict(os.environ, DATABASE_URL=f"{server}/relais_bench_scale_{size}"),
            capture_output=True, text=True)
        sys.stdout.write(child.stdout.replace(RESULT, "") if child.returncode else
                         "".join(line + "\n" for line in child.stdout.splitlines()
                                 if not line.startswith(RESULT)))
        if child.returncode:
            print(child.stderr[-3000:], file=sys.stderr)
            return child.returncode
        results.append(json.loads(child.stdout.split(RESULT, 1)[1].splitlines()[0]))
    _report(results)
    return 0


def _report(results: list[dict]) -> None:
    first, last = results[0], results[-1]
    print(f"\n{'persons':>10}{'visible':>9}{'page p50':>10}{'p95':>8}{'CPU':>7}"
          f"{'booklet p50':>13}{'p95':>8}{'CPU':>7}   (ms)")
    for r in results:
        print(f"{r['size']:>10,}{r['visible']:>9,}{r['person'][0]:>10.1f}{r['person'][1]:>8.1f}"
              f"{r['person'][2]:>7.1f}{r['booklet'][0]:>13.1f}{r['booklet'][1]:>8.1f}"
              f"{r['booklet'][2]:>7.1f}")
    for label in OTHER_PAGES:
        print(f"{label:>14} p50 / p95 (ms): " + ";  ".join(
            f"{r['size']:,}: {r[label][0]:.1f} / {r[label][1]:.1f}" for r in results
            if label in r))
    for r in results:
        length = r["booklet length"]
        print(f"{r['size']:>10,} persons, booklet page 1 p50 / p95 (ms): {LONG:,} entries "
              f"{length['long'][0]:.1f} / {length['long'][1]:.1f}, {SHORT} entries "
              f"{length['short'][0]:.1f} / {length['short'][1]:.1f}: p50 "
              f"{length['ratio']:.2f}× (goal ≤ {LENGTH_GOAL})")
        summary.at_most(f"booklet page 1 p50 at {r['size']:,} persons, {LONG:,} ÷ {SHORT} "
                        "entries", length["ratio"], "×", LENGTH_GOAL)
    for r in results:
        mixed = r["mixed"]
        print(f"{r['size']:>10,} persons, mixed browsing (wrk, 16 connections): "
              f"{mixed['rate']:.1f} req/s (p50 {mixed['p50']:.0f}, p99 {mixed['p99']:.0f} ms), "
              f"the minimal page {mixed['minimal']:.1f} req/s: {mixed['ratio']:.2f}× "
              f"(goal ≥ {MIXED_GOAL}); by CPU {mixed['by_cpu']:.2f}× (workers "
              f"{mixed['cpu']:.1f} + PostgreSQL {mixed['database_cpu']:.1f} ms a request); "
              "workers' memory after: "
              + ", ".join(f"{mb:.0f}" for mb in mixed["rss"]) + f" MB (goal ≤ {RSS_GOAL_MB})")
        summary.at_least(f"mixed browsing at {r['size']:,} persons: req/s ÷ minimal page",
                         mixed["ratio"], "", MIXED_GOAL)
        summary.figure(f"mixed browsing at {r['size']:,} persons: CPU of the minimal page "
                       "÷ its CPU (workers + database)", mixed["by_cpu"], "")
        summary.at_most(f"largest gunicorn worker after mixed browsing at {r['size']:,} "
                        "persons", max(mixed["rss"]), "MB", RSS_GOAL_MB)
    growth = last["person"][1] / first["person"][1]
    print(f"person page p95 at {last['size']:,} ÷ at {first['size']:,}: {growth:.2f} "
          f"(goal ≤ {GROWTH_GOAL})")
    summary.at_most(f"person page p95 at {last['size']:,} persons", last["person"][1], "ms",
                    P95_GOAL_MS)
    summary.at_most(f"person page p95, {last['size']:,} ÷ {first['size']:,} persons",
                    round(growth, 2), "", GROWTH_GOAL)
    # Every size in the table, smallest first: the growth shows page by page.
    for label in ("person", "booklet", *OTHER_PAGES):
        for r in results[:-1] if label == "person" else results:
            summary.figure(f"{label} p95 at {r['size']:,} persons", r[label][1], "ms")
    summary.emit("person_page_scale")


def _measure_one(size: int, options) -> int:
    os.environ.setdefault("RELAIS_VAR_DIR", tempfile.mkdtemp(prefix="relais-bench-scale-"))
    import fhir_api
    import pages
    from generated import generated
    from throwaway import setup_database

    setup_database()
    if generated(size) is None:
        return 1
    user, persons = _coordinator_and_persons(options)
    fhir_api.sign_in_ready(user)
    writer, long_booklet, short_booklet = _long_and_short_booklets()
    fhir_api.sign_in_ready(writer)
    _time_reads()
    _checkpoint()
    if options.prewarm:
        _prewarm()
    port = pages.free_port()
    server = pages.start_gunicorn(port, ("--workers", str(options.workers)))
    try:
        cookies = fhir_api.log_in(port, user)
        statements = _statements_counted()
        before = _reads()
        person = _opens(port, cookies, [f"/persons/{pk}/" for pk in persons])
        reads = _reads_since(before, len(persons))
        costliest = _costliest_statements(len(persons)) if statements else []
        booklet = _opens(port, cookies, [f"/persons/{pk}/booklet/" for pk in persons])
        others = {label: _opens(port, cookies, [path.format(pk=pk) for pk in persons])
                  for label, path in OTHER_PAGES.items()}
        others["booklet length"] = _booklet_length(port, fhir_api.log_in(port, writer),
                                                   long_booklet, short_booklet, len(persons))
        others["mixed"] = _mixed(port, cookies, persons, options.mixed_seconds, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{size:,} persons: {user.email} may read {len(persons):,} sampled of "
          f"{_visible_count(user):,}; load average {pages._load()}")
    print(f"{size:,} persons, the person page's reads outside PostgreSQL's buffers per "
          f"open (from the OS's cache or the disk), by table with its indexes: " + ", ".join(
              f"{name} {blocks:.1f}" for name, blocks in reads["tables"]) +
          f"; {reads['blocks']:.1f} blocks in all, {reads['ms']} ms reading")
    if reads["written"]:
        print(f"{size:,} persons, what the person page wrote per open, server-wide: " +
              ", ".join(f"{name} {value:,}" for name, value in reads["written"].items()))
    if costliest:
        print(f"{size:,} persons, the person page's statements that took longest in all, per "
              "open (pg_stat_statements: ms executing, of it reading; calls): " + "; ".join(
                  f"{ms} ms ({read} reading, {calls / len(persons):.1f} calls) {text}"
                  for text, ms, read, calls in costliest))
    print(RESULT + json.dumps({"size": size, "visible": _visible_count(user),
                               "person": person, "booklet": booklet, "reads": reads,
                               **others}))
    return 0


def _coordinator_and_persons(options):
    from relais.accounts.models import Membership
    from relais.network.models import Person

    membership = (Membership.objects.filter(function="coordinator", ended_on=None)
                  .select_related("user").order_by("organisation_id", "pk").first())
    user = membership.user
    pks = list(Person.objects.visible_to(user).exclude(first_name="")
               .order_by("pk").values_list("pk", flat=True))
    return user, random.Random(options.seed).sample(pks, min(options.opens, len(pks)))


def _long_and_short_booklets():
    """bench/booklet.py's writer, and its persons with 10,000 and 10 entries, made once in
    this population's database (a person of its own among the generated ones)."""
    import booklet
    from django.db import connection

    from relais.booklet.models import Entry

    writer, long_booklet, short_booklet = booklet._people()
    with connection.cursor() as cursor:
        made = [booklet._insert(cursor, "%s", [person.pk], entries, writer)
                for person, entries in ((long_booklet, LONG), (short_booklet, SHORT))
                if not Entry.objects.filter(person=person).exists()]
        if made:
            # A booklet of years is vacuumed (its pages all-visible: counted from the index
            # alone) and known to the planner; 10,000 entries made a moment ago are
            # neither, and among a million's 20 million autovacuum would not come for
            # millions more (bench/booklet.py does the same after its fill).
            cursor.execute("VACUUM ANALYZE booklet_entry")
    return writer, long_booklet, short_booklet


def _booklet_length(port, cookies, long_booklet, short_booklet, opens: int) -> dict:
    """Page 1 of each booklet, in turns of 10 opens (the machine's drift shared)."""
    turns = max(1, opens // 20)
    long_times, short_times = [], []
    for _ in range(turns):
        long_times += _times(port, cookies, [f"/persons/{long_booklet.pk}/booklet/"] * 10)
        short_times += _times(port, cookies, [f"/persons/{short_booklet.pk}/booklet/"] * 10)
    long, short = (_percentiles(long_times), _percentiles(short_times))
    return {"long": long, "short": short, "ratio": round(long[0] / short[0], 3)}


def _mixed(port, cookies, persons, seconds: int, master_pid: int) -> dict:
    """wrk (16 connections) on the minimal signed-in page, then as long on the coordinator's
    day: each sampled person's network page, booklet and timeline, then one of the lists,
    in turn; req/s of both, and each worker's resident memory after (MB)."""
    import pages

    options = SimpleNamespace(port=port, connections=16, duration=seconds)
    minimal = pages._wrk(options, "/bench/minimal/", cookies)
    paths = [path for n, pk in enumerate(persons) for path in (
        f"/persons/{pk}/", f"/persons/{pk}/booklet/", f"/persons/{pk}/timeline/",
        LISTS[n % len(LISTS)])]
    mixed = pages._wrk(options, "/", {}, script=pages._mixed_script(
        [("coordinator", path) for path in paths], {"coordinator": cookies}))
    return {"minimal": round(minimal.rate, 1), "rate": round(mixed.rate, 1),
            "p50": mixed.p50, "p99": mixed.p99, "ratio": round(mixed.rate / minimal.rate, 3),
            # What the ratio would be with the two cores to ourselves (bench/pages.py's
            # "by CPU"): the minimal page's rate moved 370–580 req/s between runs here.
            "by_cpu": round(minimal.total_cpu / mixed.total_cpu, 3),
            "cpu": round(mixed.cpu, 1), "database_cpu": round(mixed.database_cpu, 1),
            "rss": [_resident_mb(pid) for pid in pages._gunicorn_pids(port)
                    if pid != master_pid]}


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _visible_count(user) -> int:
    from relais.network.models import Person

    return Person.objects.visible_to(user).count()


# Blocks read into PostgreSQL's buffers (from the OS's page cache, or the disk), by table
# and its indexes and TOAST; and the time spent reading, where `track_io_timing` is on.
READS = """
SELECT relname, heap_blks_read + coalesce(idx_blks_read, 0) + coalesce(toast_blks_read, 0)
       + coalesce(tidx_blks_read, 0)
FROM pg_statio_user_tables"""
READ_TIME = "SELECT blk_read_time FROM pg_stat_database WHERE datname = current_database()"
# What an open writes beside what it reads, server-wide (nothing else runs while timing):
# the WAL's full-page images (a page's first change after a checkpoint), its bytes and
# the waits for its flush; and the buffers a backend had to write itself to make room,
# which a small `shared_buffers` makes it do (docs/bench.md, stop 44).
WRITES = """
SELECT wal_fpi, wal_bytes, wal_sync, wal_write_time + wal_sync_time, buffers_backend
FROM pg_stat_wal, pg_stat_bgwriter"""
WRITE_NAMES = ("full-page images", "WAL bytes", "WAL flushes", "WAL ms", "buffers written")


def _time_reads() -> None:
    """`track_io_timing` for the workers' sessions (a superuser's setting: else no time)."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            for setting in ("track_io_timing", "track_wal_io_timing"):
                cursor.execute(f'ALTER DATABASE "{connection.settings_dict["NAME"]}" '
                               f"SET {setting} = on")
    except DatabaseError as error:
        print(f"reads not timed: {error}".strip())


def _statements_counted() -> bool:
    """pg_stat_statements emptied, if the server loads it (relais.conf does): what each
    statement of the timed opens cost PostgreSQL, apart from Python's share."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database "
                           "WHERE datname = current_database()), 0)")  # this database's only
    except DatabaseError:  # not in shared_preload_libraries: the opens are timed without
        return False
    return True


def _costliest_statements(opens: int, top: int = 6) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT regexp_replace(left(query, 70), '\\s+', ' ', 'g'),
                   round((total_exec_time / %s)::numeric, 2),
                   round((blk_read_time / %s)::numeric, 2), calls
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_exec_time DESC LIMIT %s""", [opens, opens, top])
        return [(text, float(ms), float(read), calls) for text, ms, read, calls
                in cursor.fetchall()]


def _checkpoint() -> None:
    """Whatever `relais generate` left unwritten, written now, before the timed opens.
    Right after a bulk load PostgreSQL's checkpointer spreads its writes over minutes (1.8
    million buffers at a million persons), and the first opens then waited on a busy disk:
    stop 41's "cold" figures were that window, not the cache (docs/bench.md, stop 42).
    CHECKPOINT returns when every dirty buffer is written and its files synced."""
    from django.db import DatabaseError, connection

    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:  # a superuser's command (or pg_checkpoint's, from 15)
        print(f"no checkpoint before the opens: {error}".strip())
        return
    print(f"checkpoint before the opens: {time.monotonic() - started:.1f} s")


def _prewarm() -> None:
    """Every table and index but the audit log's read into the OS's page cache: the state
    of a database in use, whose records are read all day and whose audit log is written,
    seldom read. Right after `relais generate` (or a restart) the cache holds whatever
    was written or vacuumed last, and a first open waits on the disk (docs/bench.md)."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute("""
            WITH tables AS (
                SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind = 'r'
                  AND c.relname NOT LIKE 'access\\_auditevent%'
                  AND c.relname NOT LIKE 'audit\\_%'),
            relations AS (SELECT oid FROM tables
                          UNION ALL SELECT indexrelid FROM pg_index JOIN tables t
                                    ON indrelid = t.oid)
            SELECT sum(pg_prewarm(oid, 'read')), sum(pg_relation_size(oid)) FROM relations""")
        blocks, size = cursor.fetchone()
    print(f"prewarmed {blocks:,} blocks ({size / 2**30:.1f} GB) into the OS's cache in "
          f"{time.monotonic() - started:.0f} s")


def _reads() -> dict:
    """Every table's blocks read so far, as the server's statistics say now: a backend
    reports its own when it goes idle, at most every second (PostgreSQL 15)."""
    from django.db import connection

    time.sleep(1.5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(READS)
        blocks = dict(cursor.fetchall())
        cursor.execute(READ_TIME)
        blocks[None] = cursor.fetchone()[0]
        blocks[WRITES] = _writes(cursor)
    return blocks


def _writes(cursor) -> tuple | None:
    """WRITES' figures; None where the server has them elsewhere (PostgreSQL 17 moved the
    backends' writes to pg_stat_io)."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic():
            cursor.execute(WRITES)
            return cursor.fetchone()
    except DatabaseError:
        return None


def _reads_since(before: dict, opens: int) -> dict:
    """The blocks read a page since `before`, the tables that read most first, and the
    milliseconds spent reading a page (0 without `track_io_timing`)."""
    after = _reads()
    ms = (after.pop(None) - before.pop(None)) / opens
    now, then = after.pop(WRITES), before.pop(WRITES)
    written = {name: round((float(a) - float(b)) / opens, 1) for name, a, b in
               zip(WRITE_NAMES, now, then, strict=True)} if now and then else {}
    grown = {name: (blocks - before.get(name, 0)) / opens for name, blocks in after.items()}
    tables = sorted(((n, b) for n, b in grown.items() if b >= 0.05), key=lambda t: -t[1])
    return {"tables": [(name, round(blocks, 1)) for name, blocks in tables[:8]],
            "blocks": round(sum(grown.values()), 1), "ms": round(ms, 1), "written": written}


def _opens(port, cookies, paths) -> list[float]:
    """[p50, p95, workers' CPU ms per request] of one request after another."""
    import pages

    for path in paths[:5]:  # each worker's first requests prepare its statements
        pages._request(port, "GET", path, dict(cookies))
    cpu_before = pages._workers_cpu(port)
    times = _times(port, cookies, paths)
    cpu = (pages._workers_cpu(port) - cpu_before) * 1000 / len(paths)
    return [*_percentiles(times), round(cpu, 1)]


def _times(port, cookies, paths) -> list[float]:
    """Each request's time (ms), one after another; each must answer 200."""
    import pages

    times = []
    for path in paths:
        started = time.perf_counter()
        status, location, _ = pages._request(port, "GET", path, dict(cookies))
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path}: HTTP {status} {location}"
    return times


def _percentiles(times: list[float]) -> list[float]:
    return [round(summary.percentile(times, 0.5), 1), round(summary.percentile(times, 0.95), 1)]


if __name__ == "__main__":
    sys.exit(main())
