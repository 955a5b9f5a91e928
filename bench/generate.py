"""How fast `relais generate` fills a database (issue 18), and what that says of a
national-size one.

    .venv/bin/python bench/generate.py [--persons 20000] [--chunk 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_gen_bench \\
        .venv/bin/python bench/generate.py --persons 100000

Starts from an empty database every time (PostgreSQL: the database DATABASE_URL names is
dropped and created again, so name one of its own; SQLite: a temporary file), migrates it
and runs `relais generate` as a person would, in a subprocess. Prints the rows written,
rows/s, persons/s, and the time 1,000,000 persons would take at that rate (the rate is
nearly flat in the size: each chunk is written the same way; indexes grow). The machine's
load average is printed: the figure is for this machine as it was.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import summary

NATIONAL = 1_000_000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    env = dict(os.environ)
    if env.get("DATABASE_URL", "").startswith("postgres"):
        _fresh_postgres(env["DATABASE_URL"])
    else:
        env["RELAIS_VAR_DIR"] = tempfile.mkdtemp(prefix="relais-bench-generate-")
    relais = [sys.executable, "-m", "relais.config.cli"]
    subprocess.run([*relais, "migrate"], env=env, check=True, capture_output=True)  # noqa: S603
    started = time.perf_counter()
    done = subprocess.run([*relais, "generate", "--persons", str(options.persons),  # noqa: S603
                           "--chunk", str(options.chunk), "--seed", str(options.seed)],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(done.stdout.strip())
    if done.returncode:
        print(done.stderr[-3000:])
        return done.returncode
    # "… (seed 1): 222,185 rows in …", in the language the settings give the command.
    rows = int(re.search(r"\)\s?: ([\d,]+) ", done.stdout).group(1).replace(",", ""))
    national = seconds * NATIONAL / options.persons
    print(f"database: {'postgresql' if 'DATABASE_URL' in env else 'sqlite'}; load average "
          f"{' '.join(f'{n:.2f}' for n in os.getloadavg())} ({os.cpu_count()} cores)")
    print(f"{options.persons:,} persons, {rows:,} rows in {seconds:.0f} s: {rows / seconds:,.0f} "
          f"rows/s, {options.persons / seconds:,.1f} persons/s; 1,000,000 persons: about "
          f"{national / 3600:.1f} h")
    summary.figure(f"rows/s ({options.persons:,} persons)", rows / seconds, "/s")
    summary.figure("1,000,000 persons, estimated", national / 3600, "h")
    summary.emit("generate")
    return 0


def _fresh_postgres(url: str) -> None:
    import psycopg  # why: only for PostgreSQL runs

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
