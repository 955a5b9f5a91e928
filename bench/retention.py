"""How long the retention policy's daily run takes on a large database (issue 18).

    .venv/bin/python bench/retention.py [--persons 10000] [--anonymise 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_retention \\
        .venv/bin/python bench/retention.py --persons 100000

On a `relais generate` database of --persons (built if the database is empty, in a
subprocess as a person would; kept between runs when the size is the same), the worker's
daily job (src/relais/rights/retention.py) is timed in its two parts:

- choosing who is due (`retention.due`: every person put to ~25 EXISTS questions — closed?
  anything written in the period?), as the run does (the ids) and as the dry run counts
  (`retention.plan`: eleven counts with the choice inside): on the day the data was
  generated (nobody is due: the usual day) and ten years and a day later (every closed
  record is due: the worst day);
- anonymising --anonymise of the due persons one by one, each in its transaction with
  its audit event, as the job does (`anonymise_if_due`); the database keeps them
  anonymised, so the next run takes others.

Prints each time, the rate, and what it means at 1,000,000 persons (the selection grows
with the rows, the anonymising with the persons due). No goal is set by the issue; the
job runs once a day in the worker.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta

import summary
from generated import generated
from throwaway import setup_database

NATIONAL = 1_000_000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--anonymise", type=int, default=200)
    options = parser.parse_args()
    os.environ.setdefault("RELAIS_VAR_DIR", tempfile.mkdtemp(prefix="relais-bench-retention-"))
    connection = setup_database()
    dataset = generated(options.persons)
    if dataset is None:
        return 1
    from relais.rights import retention

    years = 10
    print(f"database: {connection.vendor}; {options.persons:,} generated persons (seed "
          f"{dataset.seed}, as of {dataset.as_of:%Y-%m-%d}); load average {_load()}")
    worst_day = dataset.as_of + timedelta(days=365 * years + 3)
    days = (("the usual day (nobody due)", dataset.as_of),
            (f"{years} years later (every closed record)", worst_day))
    print(f"{'choosing who is due':<44}{'the run':>9}{'dry run':>9}{'due':>9}  (seconds)")
    choices, plans = [], []
    for label, day in days:
        choices.append(_timed(lambda day=day: list(
            retention.due(day, years).values_list("pk", flat=True))))
        plans.append(_timed(lambda day=day: retention.plan(day, years)))
        print(f"  {label:<42}{choices[-1][0]:>9.2f}{plans[-1][0]:>9.2f}"
              f"{plans[-1][1].persons:>9,}")
    usual, worst = choices
    pks = list(retention.due(worst_day, years).values_list("pk", flat=True)[:options.anonymise])
    started = time.perf_counter()
    done = sum(retention.anonymise_if_due(pk, now=worst_day, years=years) for pk in pks)
    seconds = time.perf_counter() - started
    each = seconds * 1000 / max(done, 1)
    print(f"anonymised {done} persons in {seconds:.1f} s: {each:.0f} ms each")
    scale = NATIONAL / options.persons
    national_due = len(worst[1]) * scale
    print(f"at 1,000,000 persons (linear): choosing {usual[0] * scale / 60:.1f} min on a "
          f"usual day, {worst[0] * scale / 60:.1f} min on the worst (the dry run "
          f"{plans[1][0] * scale / 60:.0f} min); anonymising "
          f"{national_due:,.0f} due records {each * national_due / 3.6e6:.1f} h")
    summary.figure(f"choosing who is due, usual day ({options.persons:,} persons)",
                   round(usual[0], 2), "s")
    summary.figure(f"choosing who is due, worst day ({options.persons:,} persons)",
                   round(worst[0], 2), "s")
    summary.figure(f"dry run, worst day ({options.persons:,} persons)", round(plans[1][0], 2),
                   "s")
    summary.figure("anonymising one record", round(each), "ms")
    summary.emit("retention")
    return 0


def _timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
