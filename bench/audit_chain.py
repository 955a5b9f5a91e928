"""How fast the audit chain is written and verified.

    .venv/bin/python bench/audit_chain.py [--events 20000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench \
        .venv/bin/python bench/audit_chain.py

Uses a throw-away database: a temporary SQLite file, or the PostgreSQL database named in
DATABASE_URL (created if missing, emptied of audit events first). Prints events/s for
writing (each event its own transaction, as in production) and for `audit verify`.
"""

import argparse
import sys
import time

from throwaway import setup_database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    options = parser.parse_args()
    connection = setup_database()
    _empty_audit_log(connection)
    from relais.audit import log as audit

    started = time.perf_counter()
    for n in range(options.events):
        audit.record("bench.event", target_type="bench", target_id=str(n), detail={"n": n})
    written = time.perf_counter() - started
    started = time.perf_counter()
    problems = list(audit.verify_chain())
    verified = time.perf_counter() - started
    print(f"database: {connection.vendor}")
    print(_rate("write: ", options.events, written))
    print(_rate("verify:", options.events, verified))
    print(f"problems found: {len(problems)}")
    return 1 if problems else 0


def _rate(label: str, count: int, seconds: float) -> str:
    return f"{label} {count} events in {seconds:.2f} s = {count / seconds:,.0f} events/s"


def _empty_audit_log(connection) -> None:
    # TRUNCATE is not an UPDATE/DELETE: allowed on this throw-away database only.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE access_auditevent")
        else:
            cursor.execute("DELETE FROM access_auditevent")


if __name__ == "__main__":
    sys.exit(main())
