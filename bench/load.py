"""Fifty people working in Relais for ten minutes (issue 18): errors, speed, workers' memory.

    .venv/bin/python bench/load.py [--users 50] [--minutes 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_load \\
        .venv/bin/python bench/load.py

Loads the demo care zone into a throw-away database (bench/throwaway.py), gives every
simulated professional an account of their own (a copy of a demo login: the same
organisations, functions and places in the persons' networks) with a TOTP device, then
starts Relais as deployed (deploy/gunicorn.conf.py, production settings, 4 workers) and
runs bench/locustfile.py headless: 12 liaison nurses, 12 coordinators, 10 GPs, 8
home-care staff and 8 portal users (a person, a daughter), each signing in and working
at their own pace. The workers are not recycled during the run (`max_requests` 0,
where production replaces a worker after about 5,000 requests): a leak must show.

Prints, per page: requests, failures, p50, p95, p99; the whole run's failures (goal 0)
and rate; and each gunicorn worker's resident memory every minute, with its peak and
its last value (goal ≤ 150 MB after the run). Needs locust (`pip install locust`).
"""

import argparse
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import summary  # beside this script

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
# persona → the demo logins its accounts copy, in turn.
PERSONAS = {
    "liaison": ["liaison", "hospital-social", "ward-nurse"],
    "coordinator": ["coordinator", "case-manager"],
    "gp": ["gp"],
    "home": ["home-nurse", "home-help"],
    "portal": ["person", "caregiver"],
}
# How many of each locust's user classes start (bench/locustfile.py's fixed_count).
PER_PERSONA = {"liaison": 12, "coordinator": 12, "gp": 10, "home": 8, "portal": 8}
RSS_GOAL_MB = 150


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    options = parser.parse_args()
    # Not imported: importing locust patches this process's threads and sockets (gevent).
    if importlib.util.find_spec("locust") is None:
        print("locust is missing: .venv/bin/pip install locust", file=sys.stderr)
        return 1
    os.environ.setdefault("RELAIS_VAR_DIR", tempfile.mkdtemp(prefix="relais-bench-load-"))
    sys.path.insert(0, str(BENCH_DIR))
    from pages import free_port, start_gunicorn
    from throwaway import setup_database

    connection = setup_database()
    logins = _prepare()
    port = options.port or free_port()
    server = start_gunicorn(port, [
        "--config", str(REPO / "deploy" / "gunicorn.conf.py"), "--max-requests", "0"])
    try:
        return _run(options, port, logins, connection.vendor, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _prepare() -> Path:
    """The demo, and one account per simulated professional; the logins' file for locust."""
    import contextlib
    import io

    from django.core.management import call_command

    from relais.accounts.demo import DEMO_PASSWORD

    with contextlib.redirect_stdout(io.StringIO()):
        call_command("load_demo", verbosity=0)
    personas = {}
    for persona, bases in PERSONAS.items():
        wanted = PER_PERSONA[persona]
        personas[persona] = [_account(persona, bases[n % len(bases)], n)
                             for n in range(wanted)]
    path = Path(os.environ["RELAIS_VAR_DIR"]) / "load-logins.json"
    path.write_text(json.dumps({"password": DEMO_PASSWORD, "personas": personas}))
    return path


def _account(persona, base, n) -> dict:
    from pages import totp_device

    from relais.accounts.models import User

    original = User.objects.get(email=f"{base}@demo.relais.example")
    if persona == "portal":  # their own record: a person has one account
        return {"email": original.email, "totp_key": None}
    user = _copy(original, f"{base}.load{n}@demo.relais.example")
    return {"email": user.email, "totp_key": totp_device(user).key}


def _copy(original, email):
    """Another professional in the same posts: memberships and places in networks."""
    from relais.accounts.models import Membership, User
    from relais.network.models import NetworkMember

    user, created = User.objects.get_or_create(email=email, defaults={
        "password": original.password, "first_name": original.first_name,
        "last_name": f"{original.last_name} {email.split('.load')[1].split('@')[0]}",
        "kind": original.kind, "language": original.language})
    if created:
        for row in [*Membership.objects.filter(user=original, ended_on=None),
                    *NetworkMember.objects.filter(user=original, ended_on=None)]:
            row.pk = None
            row.user = user
            row.save()
    return user


def _run(options, port, logins, vendor, master_pid) -> int:
    prefix = Path(os.environ["RELAIS_VAR_DIR"]) / "load"
    users = sum(PER_PERSONA.values())
    print(f"database: {vendor}; gunicorn as deploy/gunicorn.conf.py (4 workers, not "
          f"recycled), production settings; {users} users for {options.minutes:g} min; "
          f"load average before: {_load()}", flush=True)
    memory = _Sampler(master_pid)
    memory.start()
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own arguments
        [sys.executable, "-m", "locust", "-f", str(BENCH_DIR / "locustfile.py"),
         "--headless", "--users", str(users), "--spawn-rate", "5",
         "--run-time", f"{int(options.minutes * 60)}s", "--host", f"http://127.0.0.1:{port}",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"],
        env=dict(os.environ, RELAIS_LOAD_LOGINS=str(logins)), capture_output=True, text=True,
        timeout=options.minutes * 60 + 120)
    elapsed = time.monotonic() - started
    memory.stop()
    if result.returncode:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        return result.returncode
    _report_pages(prefix)
    _report_failures(prefix)
    _report_memory(memory)
    print(f"run: {elapsed:.0f} s; load average after: {_load()}")
    summary.emit("load")
    return 0


def _report_pages(prefix) -> None:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))  # noqa: SIM115
    print(f"\n{'page':<28}{'requests':>9}{'failed':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all pages"
        print(f"{name:<28}{row['Request Count']:>9}{row['Failure Count']:>8}"
              f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}")
    total = rows[-1]
    failures = int(total["Failure Count"])
    summary.at_most("mixed browsing: failed requests", failures, "", 0)
    summary.figure("mixed browsing: requests", int(total["Request Count"]))
    summary.figure("mixed browsing: req/s", round(float(total["Requests/s"]), 1), "req/s")
    summary.figure("mixed browsing: p95", float(total["95%"]), "ms")


def _report_failures(prefix) -> None:
    rows = list(csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")))  # noqa: SIM115
    for row in rows:
        print(f"FAILED {row['Occurrences']}× {row['Method']} {row['Name']}: {row['Error']}")


def _report_memory(memory) -> None:
    print("\ngunicorn workers' resident memory (MB), one line a minute:")
    for moment, sizes in memory.samples[::60 // _Sampler.EVERY]:
        print(f"  {moment:>5.0f} s  " + "  ".join(f"{size:6.1f}" for size in sorted(
            sizes.values())))
    last = max(memory.samples[-1][1].values())
    peak, when, pid = max((size, moment, pid) for moment, sizes in memory.samples
                          for pid, size in sizes.items())
    first = max(memory.samples[0][1].values())
    print(f"largest worker: {first:.1f} MB at the start, {last:.1f} at the end; peak "
          f"{peak:.1f} (worker {pid}, at {when:.0f} s)")
    summary.at_most("largest gunicorn worker after the load (RSS)", round(last, 1), "MB",
                    RSS_GOAL_MB)
    summary.figure("largest gunicorn worker, peak (RSS)", round(peak, 1), "MB")


class _Sampler(threading.Thread):
    """Each worker's VmRSS every few seconds (workers: the master's children)."""

    EVERY = 10

    def __init__(self, master_pid):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.samples: list[tuple[float, dict[int, float]]] = []
        self._stopping = threading.Event()
        self._since = time.monotonic()

    def run(self):
        while True:
            self.samples.append((time.monotonic() - self._since, self.sizes()))
            if self._stopping.wait(self.EVERY):
                return

    def stop(self):
        self._stopping.set()
        self.join()
        self.samples.append((time.monotonic() - self._since, self.sizes()))

    def sizes(self) -> dict[int, float]:
        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children")
        sizes = {}
        for pid in children.read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            kilobytes = int(status.split("VmRSS:")[1].split()[0])
            sizes[int(pid)] = kilobytes / 1024
        return sizes


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
