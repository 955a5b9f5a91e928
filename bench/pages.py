"""How fast are Relais's pages beside a minimal signed-in Django page (issue 15)?

    .venv/bin/python bench/pages.py [--duration 10] [--connections 16] [--sequential 30]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_bench_pages \\
        .venv/bin/python bench/pages.py

Loads the demo care zone (`relais demo`) into a throw-away database (bench/throwaway.py:
a temporary SQLite file, or the PostgreSQL database DATABASE_URL names), tops up one
person's booklet to 25 entries (the booklet service, so receipts and audit rows are real)
and gives the two bench logins a TOTP device. Then starts gunicorn with 2 workers and
production settings (RELAIS_ENV=production: manifest static files, 2FA required,
secure cookies; only SECURE_SSL_REDIRECT is off, the bench speaks plain HTTP on
127.0.0.1) and bench/pages_settings.py, which adds one URL to Relais's:
/bench/minimal/, a signed-in page through the same middleware that renders one line
(bench/pages_urls.py). It logs in like a browser: the login form with the password, then
the two-factor form with the current TOTP code. The case manager (Tom Wouters) opens the
person page and booklet of Jozef Verhaegen, the directory search, the HSDS services API
(25 a page) and "my work"; the liaison nurse (Sofie Claes) the hospital work list.

For each page it prints:
- sequential: after a few requests to warm both workers, the p50 of single requests one
  after another (no load), and the gunicorn workers' CPU time per request (user +
  system, from /proc: load by others does not inflate it);
- under load: `wrk` (Debian's; `apt-get install wrk`) with 16 connections for 10 s:
  req/s, p50, p99, the CPU per request of the workers and of PostgreSQL (its processes
  on this machine), req/s as a share of the minimal page's ("ratio", the goals), and the
  same share worked out from the CPU each request used ("by CPU": what the ratio would
  be with the two cores to ourselves; the machine's neighbours move the first from run
  to run, much less the second).
Then mixed browsing: wrk asks for those six pages in turn, each with its login's session,
for as long again, beside the minimal page (issue 18's goal: ≥ 0.35 of it).
The issue's goals: person and booklet ≥ 0.25 of the minimal page, list pages and APIs
≥ 0.4; single request p50 ≤ 20 ms for the person and booklet pages. The machine's load
average is printed beside the figures: on a shared machine compare CPU ms and ratios.
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import summary  # beside this script (Python puts the script's folder on the path)

BENCH_DIR = Path(__file__).resolve().parent
ENTRIES = 25
VIEWER, HOSPITAL = "case-manager", "liaison"
PERSON = ("Jozef", "Verhaegen")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MIXED_GOAL = 0.35  # issue 18: mixed authenticated browsing, beside the minimal page
WARM_UP = 6  # requests of each page before its single requests are timed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sequential", type=int, default=30, help="single requests per page")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--workers", type=int, default=2,
                        help="gunicorn's sync workers (deploy/gunicorn.conf.py ships 4)")
    options = parser.parse_args()
    options.port = options.port or free_port()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 1
    os.environ.setdefault("RELAIS_VAR_DIR", tempfile.mkdtemp(prefix="relais-bench-pages-"))
    sys.path.insert(0, str(BENCH_DIR))
    from throwaway import setup_database

    connection = setup_database()
    person_pk = _prepare()
    server = start_gunicorn(options.port, ("--workers", str(options.workers)))
    try:
        return _measure(options, connection.vendor, person_pk)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _prepare() -> int:
    """The demo data, a 25-entry booklet and a TOTP device for each bench login."""
    from django.core.management import call_command

    with contextlib.redirect_stdout(io.StringIO()):  # the demo's list of logins
        call_command("load_demo", verbosity=0)
    from relais.network.models import Person

    person = Person.objects.get(first_name=PERSON[0], last_name=PERSON[1])
    _top_up_booklet(person)
    for login in (VIEWER, HOSPITAL):
        totp_device(_user(login))
    return person.pk


def _user(login):
    from relais.accounts.models import User

    return User.objects.get(email=f"{login}@demo.relais.example")


def _top_up_booklet(person) -> None:
    from relais.booklet import services
    from relais.booklet.models import Entry

    author = _user(VIEWER)
    for n in range(Entry.objects.filter(person=person).count(), ENTRIES):
        services.write(person, author=author, body=f"Bench visit {n}: walked to the kitchen, "
                       "ate well, blood pressure 13/8.")


def totp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench",
                                                 defaults={"confirmed": True})
    user.two_factor_enabled = True  # what confirming the device at set-up does
    user.save(update_fields=["two_factor_enabled"])
    return device


def _current_token(login) -> str:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=_user(login), name="bench")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, options=("--workers", "2")) -> subprocess.Popen:
    """Relais under gunicorn, production settings, on 127.0.0.1:`port`, with the minimal
    page of bench/pages_settings.py; `options` are gunicorn's (bench/load.py gives
    deploy/gunicorn.conf.py)."""
    with socket.socket() as probe:  # a server left over would answer in our place
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is taken: --port another")
    env = dict(os.environ, RELAIS_ENV="production", SECRET_KEY=secrets.token_urlsafe(64),
               ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0",
               DJANGO_SETTINGS_MODULE="pages_settings",
               PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH_DIR),
                                                        os.environ.get("PYTHONPATH")])))
    # Production serves hashed file names from a manifest: build it as `relais serve` does.
    subprocess.run([sys.executable, "-m", "django", "collectstatic", "--no-input",  # noqa: S603
                    "-v", "0"], env=env, check=True)
    # Production's request log stays on (its cost is part of a page's), into a file: on
    # the terminal its line per request buried the table.
    log = Path(os.environ["RELAIS_VAR_DIR"]) / "gunicorn.log"
    print(f"server log: {log}")
    server = subprocess.Popen(  # noqa: S603 - our own arguments
        [sys.executable, "-m", "gunicorn", "relais.config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", *options, "--log-level", "warning"], env=env,
        stderr=log.open("ab"))
    for _ in range(100):
        time.sleep(0.2)
        try:
            _request(port, "GET", "/accounts/login/", {})
            return server
        except OSError:
            continue
    server.terminate()
    raise SystemExit("gunicorn did not start")


def _request(port, method, path, cookies, form=None):
    """One request on a new connection (gunicorn's sync workers close each one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
    connection.close()
    return response.status, response.getheader("Location", ""), text


def _csrf(text: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)


def log_in(port, login) -> dict:
    """Password, then the two-factor code: the same two forms a person fills in."""
    from relais.accounts.demo import DEMO_PASSWORD

    cookies: dict = {}
    status, _, page = _request(port, "GET", "/accounts/login/", cookies)
    assert status == 200, f"login page: HTTP {status}\n{page[:2000]}"
    status, location, _ = _request(port, "POST", "/accounts/login/", cookies, {
        "csrfmiddlewaretoken": _csrf(page), "username": f"{login}@demo.relais.example",
        "password": DEMO_PASSWORD})
    assert status == 302, f"login of {login}: HTTP {status}"
    _, _, page = _request(port, "GET", "/accounts/two-factor/verify/", cookies)
    for _attempt in range(2):
        status, location, page = _request(port, "POST", "/accounts/two-factor/verify/",
                                          cookies, {"csrfmiddlewaretoken": _csrf(page),
                                                    "token": _current_token(login)})
        if status == 302 and "verify" not in location:
            return cookies
        # A code is accepted once: a run a moment ago used this one. Wait for the next.
        time.sleep(30 - time.time() % 30 + 1)
    raise SystemExit(f"two-factor login of {login} refused: HTTP {status}")


def _pages(person_pk) -> list[tuple[str, str, str, float, float | None]]:
    """(label, login, path, goal for the ratio, goal for the single-request p50 in ms)."""
    return [
        ("minimal page", VIEWER, "/bench/minimal/", 1, None),
        ("person (network page)", VIEWER, f"/persons/{person_pk}/", 0.25, 20),
        ("booklet (25 entries)", VIEWER, f"/persons/{person_pk}/booklet/", 0.25, 20),
        ("directory search", VIEWER, "/directory/?q=thuis", 0.4, None),
        ("hospital work list", HOSPITAL, "/hospital/worklist/", 0.4, None),
        ("HSDS services (25)", VIEWER, "/hsds/services?per_page=25", 0.4, None),
        ("my work", VIEWER, "/work/", 0.4, None),
    ]


def _measure(options, vendor, person_pk) -> int:
    sessions = {login: log_in(options.port, login) for login in (VIEWER, HOSPITAL)}
    print(f"database: {vendor}; gunicorn {options.workers} workers, production settings; wrk "
          f"{options.connections} connections × {options.duration} s; "
          f"load average before: {_load()}")
    print(f"{'':<24}{'sequential':>20}  {'under load (wrk)':>58}")
    print(f"{'page':<24}{'p50 ms':>10}{'CPU ms':>10}  {'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'CPU ms':>8}{'DB ms':>8}{'ratio':>8}{'by CPU':>8}  goals (issue 15)")
    baseline = None
    for label, login, path, ratio_goal, p50_goal in _pages(person_pk):
        cookies = sessions[login]
        status, location, _ = _request(options.port, "GET", path, cookies)
        assert status == 200, f"{path}: HTTP {status} {location}"
        single, single_cpu = _sequential(options, path, cookies)
        load = _wrk(options, path, cookies)
        baseline = baseline or load
        ratio = load.rate / baseline.rate
        _summarise(label, load, ratio, ratio_goal, single, p50_goal, baseline)
        goals = [] if label == "minimal page" else [_goal(f"ratio ≥ {ratio_goal}",
                                                          ratio >= ratio_goal)]
        if p50_goal:
            goals.append(_goal(f"1 request ≤ {p50_goal} ms", single <= p50_goal))
        print(f"{label:<24}{single:>10.1f}{single_cpu:>10.1f}  {_columns(load, baseline)}"
              f"  {', '.join(goals)}")
    _measure_mixed(options, sessions, person_pk, baseline)
    print(f"load average after: {_load()}")
    summary.emit("pages")
    return 0


def _measure_mixed(options, sessions, person_pk, baseline) -> None:
    """Mixed browsing (issue 18): wrk asks for the pages in turn, each with its own login's
    session, so that no one page's cache or plan has the workers to itself."""
    pages = [(login, path) for label, login, path, _, _ in _pages(person_pk)
             if label != "minimal page"]
    load = _wrk(options, "/", {}, script=_mixed_script(pages, sessions))
    ratio = load.rate / baseline.rate
    summary.at_least("mixed browsing: req/s ÷ minimal page", ratio, "", MIXED_GOAL)
    summary.figure("mixed browsing: CPU of the minimal page ÷ its CPU (workers + database)",
                   baseline.total_cpu / load.total_cpu, "")
    print(f"{'mixed (the pages in turn)':<24}{'':>20}  {_columns(load, baseline)}"
          f"  {_goal(f'ratio ≥ {MIXED_GOAL}', ratio >= MIXED_GOAL)}")


def _columns(load: "Load", baseline: "Load") -> str:
    """req/s, p50, p99, CPU per request (workers, database), the throughput's ratio to the
    minimal page's and the same from the CPU each request used: on a machine whose
    neighbours take its cores by turns the first moves from run to run, the second
    much less."""
    return (f"{load.rate:>8.1f}{load.p50:>9.0f}{load.p99:>9.0f}{load.cpu:>8.1f}"
            f"{load.database_cpu:>8.1f}{load.rate / baseline.rate:>8.2f}"
            f"{baseline.total_cpu / load.total_cpu:>8.2f}")


def _mixed_script(pages, sessions) -> str:
    """A wrk script that sends the pages one after another, each with its login's cookie."""
    rows = ",\n".join(
        f"  {{{json.dumps(path)}, {json.dumps(_cookie_header(sessions[login]))}}}"
        for login, path in pages)
    return ("local pages = {\n" + rows + "\n}\nlocal n = 0\n"
            "request = function()\n"
            "  n = n % #pages + 1\n"
            "  return wrk.format('GET', pages[n][1], {Cookie = pages[n][2]})\n"
            "end\n")


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _summarise(label, load, ratio, ratio_goal, single, p50_goal, baseline) -> None:
    if label == "minimal page":  # the floor the others are measured against
        summary.figure("minimal signed-in page (floor)", load.rate, "req/s", goal="floor")
        return
    summary.at_least(f"{label}: req/s ÷ minimal page", ratio, "", ratio_goal)
    summary.figure(f"{label}: CPU of the minimal page ÷ its CPU (workers + database)",
                   baseline.total_cpu / load.total_cpu, "")
    if p50_goal:
        summary.at_most(f"{label}: 1 request p50", single, "ms", p50_goal)


def _goal(text: str, met: bool) -> str:
    return f"{text} {'met' if met else 'NOT met'}"


def _sequential(options, path, cookies) -> tuple[float, float]:
    # A server in use has each page's templates compiled and its statements kept in both
    # workers: the first requests of a page, which do that, are not counted.
    for _ in range(WARM_UP):
        _request(options.port, "GET", path, dict(cookies))
    times = []
    cpu_before = _workers_cpu(options.port)
    for _ in range(options.sequential):
        started = time.perf_counter()
        _request(options.port, "GET", path, dict(cookies))
        times.append((time.perf_counter() - started) * 1000)
    cpu = (_workers_cpu(options.port) - cpu_before) * 1000 / options.sequential
    return statistics.median(times), cpu


@dataclass
class Load:
    """What wrk measured, and the CPU each request cost the workers and the database."""

    rate: float
    p50: float
    p99: float
    cpu: float  # ms of the gunicorn workers per request
    database_cpu: float  # ms of PostgreSQL per request

    @property
    def total_cpu(self) -> float:
        return self.cpu + self.database_cpu


def _wrk(options, path, cookies, script=None) -> Load:
    cookie = _cookie_header(cookies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script or "")
        lua.flush()
        cpu_before, database_before = _workers_cpu(options.port), _database_cpu()
        output = subprocess.run(  # noqa: S603 - our own arguments
            ["wrk", "-t2", f"-c{options.connections}", f"-d{options.duration}s", "--latency",
             "-H", f"Cookie: {cookie}", *(["-s", lua.name] if script else []),
             f"http://127.0.0.1:{options.port}{path}"],
            capture_output=True, text=True, check=True).stdout
        cpu = _workers_cpu(options.port) - cpu_before
        database = max(0.0, _database_cpu() - database_before)
    if "Non-2xx" in output:
        raise SystemExit(f"{path}: some answers were not 200\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return Load(rate, _percentile(output, "50"), _percentile(output, "99"),
                cpu * 1000 / requests, database * 1000 / requests)


def _percentile(output: str, which: str) -> float:
    value, unit = re.search(rf"^\s+{which}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def _workers_cpu(port) -> float:
    """CPU seconds (user + system) the gunicorn processes listening on `port` have used."""
    total = 0
    for pid in _gunicorn_pids(port):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def _database_cpu() -> float:
    """CPU seconds the PostgreSQL processes on this machine have used, with those of the
    backends that have ended: a worker's connection is closed after DB_CONN_MAX_AGE (60 s
    in production), and its backend's time then passes to the postmaster's children's
    (a run that missed it printed 0.0 ms)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def _gunicorn_pids(port) -> list[int]:
    marker = f"127.0.0.1:{port}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
                if marker in command and b"gunicorn" in command:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
