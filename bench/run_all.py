"""`make bench`: every script in bench/, then one table of each figure beside its goal and
the floors measured in the same run.

    .venv/bin/python bench/run_all.py [--quick] [--only pages,booklet] [--database URL]
    make bench            # PostgreSQL on 127.0.0.1 (BENCH_DATABASE), the scripts' own sizes
    make bench QUICK=1    # each script at a small size (minutes, not hours)

Each script runs as it runs alone, in its own process, on its own PostgreSQL database
(`relais_bench_<script>`, `…_quick` at the quick sizes; created if missing, reused as
the script allows), and keeps its own output, shown as it goes and kept in
var/bench/<time>/<script>.log. Each ends with one machine-readable line (bench/summary.py:
`BENCH-SUMMARY {json}`); this collects them. A script without that line (a new one) is
run with no arguments and shown with its exit code.

The floors: PostgreSQL point reads (`pgbench -S`, when pgbench is on the machine) and the
minimal signed-in Django page under gunicorn, which bench/pages.py measures beside the
real pages. The table goes to the terminal and to var/bench/<time>/summary.txt (and
summary.json). The exit code is 1 when a script failed (crashed, or found a correctness
problem: lost messages, tampering not named, server errors); missed speed goals are
shown, not failed.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import summary

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NOT_SCRIPTS = {"run_all", "summary", "throwaway", "pages_settings", "pages_urls", "locustfile",
               "generated", "contract_rounds", "pgbouncer_ini"}

# Arguments per script: (the full run, the quick run). Scripts not listed run with none.
SIZES = {
    "adt_faults": ([], ["--messages", "1000"]),
    "adt_feed": ([], ["--messages", "1000"]),
    "adt_fuzz": (["--minutes", "2"], ["--minutes", "0.3"]),
    "audit_chain": ([], ["--events", "4000"]),
    "booklet": ([], ["--entries", "20000", "--opens", "40"]),  # 30 s; fewer opens, a noisy p50
    "directory_search": ([], ["--services", "5000", "--searches", "40"]),
    # Enough to last the three steps (each waits for the old primary to rejoin, 35 s) at
    # 185 messages/s: 15,000 were all sent before the crash on a quiet machine.
    "failover": ([], ["--messages", "40000"]),
    "fhir_api": ([], ["--persons", "10000", "--stays", "2000", "--searches", "40",
                      "--duration", "3"]),
    "fhir_contract": ([], ["--requests", "300"]),
    "followup_worker": ([], ["--contacts", "10000"]),
    "generate": ([], ["--persons", "2000"]),
    "hsds_contract": ([], ["--requests", "300"]),
    "load": ([], ["--minutes", "1"]),
    "my_work": ([], ["--items", "500", "--opens", "40"]),
    "notifications": ([], ["--opens", "40"]),
    "observatory": ([], ["--persons", "20000", "--stays", "20000", "--referrals", "15000",
                         "--requests", "5"]),
    "page_instructions": ([], ["--requests", "5"]),
    "pages": ([], ["--duration", "3", "--sequential", "10"]),
    "person_page_scale": ([], ["--sizes", "2000,10000", "--opens", "50"]),
    "person_search": ([], ["--persons", "10000", "--searches", "40"]),
    "retention": ([], ["--persons", "2000", "--anonymise", "50"]),
    "worklist": ([], ["--stays", "300", "--opens", "10"]),
}

# Scripts measured on a `relais generate` population: their arguments at --persons N (the
# national size), always beside 10,000 persons, so that growth shows in the same table.
AT_POPULATION = {
    "person_page_scale": lambda persons: ["--sizes", ",".join(
        str(size) for size in sorted({10_000, persons}))],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each script at a small size")
    parser.add_argument("--only", default="", help="comma-separated script names")
    parser.add_argument("--database", default=os.environ.get(
        "BENCH_DATABASE", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name; 'sqlite' for temporary files")
    parser.add_argument("--persons", type=int, help="the generated population's size for "
                        "the scripts measured on one (" + ", ".join(AT_POPULATION) + ")")
    options = parser.parse_args()
    folder = ROOT / "var" / "bench" / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = [_floor_pgbench(options, folder)] if _postgres(options) else []
    settings = ""
    if _postgres(options):
        options.session_settings = _session_settings(options)
        settings = _server_settings(options)
    for name in _scripts(options.only, first=AT_POPULATION if options.persons else ()):
        results.append(_run(name, options, folder))
        # Kept after each script: a run stopped part way has its table so far.
        _keep(folder, _table(results, time.monotonic() - started, options, settings), results)
    table = _table(results, time.monotonic() - started, options, settings)
    _keep(folder, table, results)
    print("\n" + table)
    print(f"\nlogs and summary: {folder.relative_to(ROOT)}")
    return 1 if any(r["exit"] not in (0, None) for r in results) else 0


def _keep(folder: Path, table: str, results: list[dict]) -> None:
    (folder / "summary.txt").write_text(table + "\n")
    (folder / "summary.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))


def _scripts(only: str, first=()) -> list[str]:
    """The scripts to run, in name order, those named in `first` before the others: at
    --persons, the scripts measured on the population (its generation, over an hour the
    first time, and the figures the run is for) do not wait behind an hour of others."""
    names = sorted(Path(p).stem for p in glob.glob(str(BENCH / "*.py")))
    wanted = {n.strip() for n in only.split(",") if n.strip()}
    chosen = [n for n in names if n not in NOT_SCRIPTS and (not wanted or n in wanted)]
    return sorted(chosen, key=lambda name: name not in first)


def _arguments(name: str, options) -> list[str]:
    if options.persons and name in AT_POPULATION:
        return AT_POPULATION[name](options.persons)
    return SIZES.get(name, ([], []))[1 if options.quick else 0]


def _postgres(options) -> bool:
    return options.database.startswith("postgres")


def _environment(name: str, options) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    if _postgres(options):
        suffix = "_quick" if options.quick else ""
        env["DATABASE_URL"] = f"{options.database.rstrip('/')}/relais_bench_{name}{suffix}"
        if getattr(options, "session_settings", ""):
            # Libpq reads PGOPTIONS only where the connection names no options; Relais's
            # own connections name theirs (settings.py: RELAIS_PG_OPTIONS, jit and parallel
            # workers off), which relais.conf's settings replace, as they include them.
            env["PGOPTIONS"] = env["RELAIS_PG_OPTIONS"] = options.session_settings
    return env


def _run(name: str, options, folder: Path) -> dict:
    """Run one script, its output shown as it comes and kept; its summary line read."""
    arguments = _arguments(name, options)
    command = [sys.executable, str(BENCH / f"{name}.py"), *arguments]
    print(f"\n=== {name} {' '.join(arguments)}", flush=True)
    started = time.monotonic()
    figures, log = None, (folder / f"{name}.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=_environment(name, options),  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        sys.stdout.write(line)
        log.write(line)
        if line.startswith(summary.PREFIX):
            figures = json.loads(line[len(summary.PREFIX):])["figures"]
    process.wait()
    log.close()
    return {"script": name, "arguments": arguments, "exit": process.returncode,
            "seconds": round(time.monotonic() - started, 1), "figures": figures}


def _floor_pgbench(options, folder: Path) -> dict:
    """PostgreSQL's own point reads on this machine, now: what a page's queries cannot beat."""
    binary = shutil.which("pgbench") or next(iter(sorted(glob.glob(
        "/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None)
    result = {"script": "pgbench -S (floor)", "arguments": [], "exit": None, "seconds": 0,
              "figures": None}
    if binary is None:
        result["figures"] = [{"name": "pgbench not found: floor not measured", "value": "",
                              "unit": "", "goal": "", "met": None}]
        return result
    url = f"{options.database.rstrip('/')}/relais_bench_pgbench"
    seconds = "5" if options.quick else "20"
    started = time.monotonic()
    print("\n=== pgbench -S (PostgreSQL point reads, the floor)", flush=True)
    _create_database(options.database, "relais_bench_pgbench")
    subprocess.run([binary, "-i", "-s", "10", "-q", url], check=True,  # noqa: S603
                   capture_output=True)
    output = subprocess.run([binary, "-S", "-c", "4", "-j", "2", "-T", seconds, url],  # noqa: S603
                            check=True, capture_output=True, text=True).stdout
    (folder / "pgbench.log").write_text(output)
    print(output, flush=True)
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    result.update(exit=0, seconds=round(time.monotonic() - started, 1), figures=[
        {"name": "point reads, 4 clients (floor)", "value": tps, "unit": "/s", "goal": "floor",
         "met": None}])
    return result


def _create_database(server: str, name: str) -> None:
    import psycopg  # why: only for PostgreSQL runs

    with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


# The server's settings that move the figures most, beside what the deployment guide sets
# (deploy/postgresql/relais.conf): a run on a distribution's defaults (128 MB of buffers)
# measures another server than the one a care zone is told to run (docs/bench.md, stop 44).
SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "max_wal_size",
            "checkpoint_timeout", "random_page_cost", "jit")
SHIPPED = ROOT / "deploy" / "postgresql" / "relais.conf"


def _server_settings(options) -> str:
    import psycopg  # why: only for PostgreSQL runs

    with psycopg.connect(f"{options.database.rstrip('/')}/postgres") as server:
        version = server.execute("SHOW server_version").fetchone()[0].split()[0]
        values = {name: server.execute(f"SHOW {name}").fetchone()[0] for name in SETTINGS}
    shipped = _shipped_settings()
    shown = [f"{name} {value}" + (f" (relais.conf: {shipped[name]})"
                                  if name in shipped and shipped[name] != value else "")
             for name, value in values.items()]
    line = f"PostgreSQL {version}: " + ", ".join(shown)
    if getattr(options, "session_settings", ""):
        line += f"; every connection with relais.conf's {options.session_settings}"
    return line


def _session_settings(options) -> str:
    """relais.conf's settings that a session may set itself (`jit`, `random_page_cost`,
    `work_mem`…), for every connection of the scripts and the servers the bench starts
    (RELAIS_PG_OPTIONS for Relais's, PGOPTIONS for the others'): the plans are those of
    the configuration the deployment guide ships, whatever the machine's server was left
    with. What needs the server's restart is only shown."""
    import psycopg  # why: only for PostgreSQL runs

    shipped = _shipped_settings()
    with psycopg.connect(f"{options.database.rstrip('/')}/postgres") as server:
        user_set = {name for (name,) in server.execute(
            "SELECT name FROM pg_settings WHERE context = 'user' AND name = ANY(%s)",
            [list(shipped)])}
    return " ".join(f"-c {name}={value}" for name, value in shipped.items()
                    if name in user_set and " " not in value)


def _shipped_settings() -> dict:
    """`name = value` lines of relais.conf, their comments and quotes left out."""
    shipped = {}
    for line in SHIPPED.read_text().splitlines():
        name, equals, value = line.split("#", 1)[0].partition("=")
        if equals:
            shipped[name.strip()] = value.strip().strip("'")
    return shipped


def _table(results: list[dict], elapsed: float, options, settings: str = "") -> str:
    mode = "quick sizes" if options.quick else "full sizes"
    if options.persons:
        mode += f", populations of 10,000 and {options.persons:,} persons"
    database = "PostgreSQL" if _postgres(options) else "SQLite"
    lines = [f"make bench ({mode}, {database}, {os.cpu_count()} cores, load average "
             f"{os.getloadavg()[0]:.1f} at the end): {elapsed / 60:.0f} min",
             *([settings] if settings else []),
             f"  {'figure':<56}{'value':>16}  {'goal':<14}{'met':<4}"]
    for result in results:
        head = f"{result['script']} ({result['seconds']:.0f} s"
        head += f", EXIT {result['exit']})" if result["exit"] not in (0, None) else ")"
        lines.append(head + ("" if result["figures"] else ": no summary line"))
        lines += [_row(figure) for figure in result["figures"] or []]
    return "\n".join(lines)


def _row(figure: dict) -> str:
    value = figure["value"]
    # Two decimals under 10: a ratio of 0.36 against a goal of 0.4 read "0.4".
    digits = 2 if isinstance(value, float) and abs(value) < 10 else 1
    shown = f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}" if isinstance(
        value, int) else str(value)
    met = {True: "yes", False: "NO", None: ""}[figure["met"]]
    return (f"  {figure['name'][:55]:<56}{(shown + ' ' + figure['unit']).strip():>16}  "
            f"{figure['goal']:<14}{met:<4}")


if __name__ == "__main__":
    sys.exit(main())
