"""`relais run` (what `make run` starts): the web server, the worker and the ADT listener in
one process tree that Ctrl+C and SIGTERM stop whole; the demo's emails land in the outbox.

These start real processes (Linux: the process tree is read from /proc).
"""

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc"),
              pytest.mark.sqlite_only]  # `make run` always uses SQLite

RELAIS = [sys.executable, "-m", "relais.config.cli"]
DEMO = "demo.relais.example"


def environment(var_dir: Path) -> dict:
    """A fresh clone's environment: SQLite under var_dir, development, no EMAIL_URL."""
    env = {**os.environ, "RELAIS_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", "EMAIL_URL", "RELAIS_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(root: int) -> dict[int, str]:
    """Every process below `root`, with its command line."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = _command_line(pid)
                frontier.append(pid)
    return found


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def still_running(pids) -> list[int]:
    """Those of `pids` that still exist and are not zombies waiting to be reaped."""
    running = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.append(pid)
    return running


def wait_until(condition, seconds: float, step: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(step)
    return None


class Browser:
    """Just enough of a browser: cookies and Django's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict) -> str:
        token = re.search(r'name="csrf-token" content="([^"]+)"', self.get(path_of_form(path)))
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token.group(1)}).encode()
        request = urllib.request.Request(self.base + path, data=body,
                                         headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=30) as response:
            return response.read().decode()


def path_of_form(path: str) -> str:
    """The page that shows the form posting to `path` (where the CSRF token comes from)."""
    return path.removesuffix("new/") if path.endswith("/booklet/new/") else path


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def emails_to(outbox: Path, address: str) -> list[Path]:
    return [path for path in outbox.glob("*.log") if f"To: {address}" in path.read_text()]


def test_make_run_then_an_alert_by_the_coordinator_reaches_the_outbox_and_ctrl_c_stops_all(
        tmp_path, var_dirs):
    """Issue 12: "From a fresh clone, `make run` then logging in as the coordinator and
    triggering an event that emails: the email appears in the outbox within 10 s without
    a second command." The coordinator writes an alert in Jozef's booklet; his GP's email
    lands in var/outbox; Ctrl+C then stops every process of the tree, exit code 0."""
    env = environment(tmp_path)
    # The Makefile's steps before `relais run`, `relais migrate` then `relais demo` in a
    # fresh clone's environment, ran once for the test run: a copy of what they made.
    for step, done in var_dirs.copy("demo", tmp_path).items():
        assert done.returncode == 0, f"relais {step}: {done.stderr}"
    port = free_port()
    tree = subprocess.Popen([*RELAIS, "run", "--port", str(port), "--adt-port", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: answers(base + "/healthz"), 60), "the web server never answered"
        coordinator = Browser(base)
        coordinator.post("/accounts/login/", {"username": f"coordinator@{DEMO}",
                                              "password": "relais-demo-2026"})
        with sqlite3.connect(tmp_path / "relais.sqlite3") as db:
            (jozef,) = db.execute("SELECT id FROM network_person WHERE first_name = 'Jozef' "
                                  "AND last_name = 'Verhaegen'").fetchone()
        outbox = tmp_path / "outbox"
        assert not emails_to(outbox, f"gp@{DEMO}"), "the demo's own emails are dropped"

        alerted = time.monotonic()
        page = coordinator.post(f"/persons/{jozef}/booklet/new/", {
            "entry-kind": "alert", "entry-audience": "network",
            "entry-body": "Chute ce matin, pas de fracture. Passage du médecin demandé."})
        assert "Chute ce matin" in page
        assert wait_until(lambda: emails_to(outbox, f"gp@{DEMO}"), 10, step=0.05), (
            "no email to the GP in the outbox within 10 s")
        print(f"the GP's email was in the outbox {time.monotonic() - alerted:.2f} s after the "
              "alert")
        assert f"gp@{DEMO}" in coordinator.get("/outbox/")

        processes = descendants(tree.pid)
        commands = " ".join(processes.values())
        for part in ("serve", "worker", "adt-listen", "adt-apply"):  # the listener's applier
            assert f"relais.config.cli {part}" in commands
        tree.send_signal(signal.SIGINT)
        assert tree.wait(30) == 0
        assert wait_until(lambda: not still_running(processes), 5), descendants(tree.pid)
    finally:
        if tree.poll() is None:
            tree.kill()
        output = tree.communicate()[0]
    assert "Ctrl+C stops all three" in output
    assert "stopped by itself" not in output
    assert "Traceback" not in output  # each process ends quietly, the applier too


# --- the supervisor alone, with stand-in commands (fast) -------------------------------

SLEEPER = "import time; print('sleeping', flush=True); time.sleep(60)"
# Like Django's autoreloader: the real work runs in a child, which here ignores SIGINT
# and SIGTERM, so only the process group's SIGKILL can end it.
STUBBORN_PARENT = textwrap.dedent("""
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import signal, time; "
        "signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ignoring', flush=True); "
        "time.sleep(60)"])
    time.sleep(60)
""")


def supervise(*commands: tuple[str, str]) -> subprocess.Popen:
    """`relais.config.run.supervise` over (name, python code) commands, with 1 s of grace."""
    listed = ", ".join(f"run.Command({name!r}, 'the {name}', [sys.executable, '-c', {code!r}])"
                       for name, code in commands)
    program = (f"import sys\nfrom relais.config import run\nrun.GRACE_SECONDS = 1\n"
               f"sys.exit(run.supervise([{listed}]))")
    return subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_when_one_stops_by_itself_the_others_are_stopped_and_it_is_named():
    tree = supervise(("sleeper", SLEEPER),
                     ("quitter", "import sys, time; time.sleep(1); sys.exit(3)"))
    assert wait_until(lambda: len(descendants(tree.pid)) >= 2, 10)
    processes = descendants(tree.pid)
    assert tree.wait(20) == 3
    output = tree.communicate()[0]
    assert "relais run: the quitter stopped by itself (exit code 3): stopping the sleeper." \
        in output
    assert "sleeper | sleeping" in output
    assert wait_until(lambda: not still_running(processes), 5)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_children_and_their_children_and_exits_0(signum):
    tree = supervise(("sleeper", SLEEPER), ("reloader", STUBBORN_PARENT))
    assert wait_until(lambda: len(descendants(tree.pid)) >= 3, 10)
    time.sleep(0.5)  # the stubborn child sets its signal handlers
    processes = descendants(tree.pid)
    tree.send_signal(signum)
    assert tree.wait(20) == 0
    output = tree.communicate()[0]
    assert "the reloader did not stop: killed." not in output  # its own process ended
    assert wait_until(lambda: not still_running(processes), 5), processes
