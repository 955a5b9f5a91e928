"""What bench/fhir_contract.py and bench/hsds_contract.py share: the throw-away database
with the demo care zone, the demo persons' markers, and the report of the rounds (their
runners share tests/relais/interop/contract_runner.py)."""

import argparse
import logging
import sys
import time
from pathlib import Path

import summary
from throwaway import setup_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.relais.interop


def start(request_log_level: int) -> argparse.Namespace:
    """--requests and --seed; the throw-away database, migrated, with the demo loaded."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    connection = setup_database()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, "testserver", is allowed
    logging.getLogger("django.request").setLevel(request_log_level)
    started = time.monotonic()
    call_command("load_demo", verbosity=0)
    print(f"database: {connection.vendor}; demo loaded in {time.monotonic() - started:.0f} s")
    return options


def person_markers() -> list[str]:
    """The demo persons' names and national numbers: none may be in an answer of a caller
    who may not read them."""
    from relais.network.models import Person

    markers = set()
    for first, last, niss in Person.objects.values_list("first_name", "last_name", "niss"):
        markers |= {f"{first} {last}", niss} - {""}
    return sorted(markers)


def report(script: str, tally, elapsed: float) -> int:
    """Print the rounds' total, by operation, and the failed checks; emit the figures
    (issue 17: no server error in at least 5,000 generated requests). 1 if anything
    failed."""
    written = getattr(tally, "written", None)
    print(f"\nTotal: {tally.summary()} in {elapsed:.0f} s "
          f"({tally.requests / elapsed:.0f} requests/s)")
    for label, count in sorted(tally.by_operation.items()):
        writes = f"  ({written[label]} written)" if written and written[label] else ""
        print(f"  {label:<44}{count:>6}{writes}")
    for curl, problems in tally.failures[:20]:
        print(f"\nFAILED: {curl}")
        for problem in problems[:5]:
            print(f"  - {problem[:400]}")
    summary.figure("generated requests", tally.requests)
    if written is not None:
        summary.figure("writes made (2xx)", sum(written.values()))
    summary.at_most("server errors", tally.server_errors, "", 0)
    summary.at_most("failed checks", len(tally.failures), "", 0)
    summary.emit(script)
    return 1 if tally.server_errors or tally.failures else 0
