"""`relais run`: the web server, the worker and the ADT listener in one process tree.

What `make run` starts, for the demo and for development. Each child runs in a process
group of its own, so that a signal reaches the processes it starts too (Django's
autoreloader serves from a child process); Ctrl+C therefore reaches only this process,
which passes it on. Ctrl+C or SIGTERM stops all three and exits 0. If one stops by
itself, the others are stopped and the exit code is its own (1 if it had none).
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

GRACE_SECONDS = 10  # each child may finish what it is doing (a task, an ADT message)
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Command:
    name: str  # prefixes its output: "web", "worker", "adt"
    label: str  # says which one stopped: "the web server"
    args: list[str]


@dataclass
class Child:
    command: Command
    process: subprocess.Popen


@dataclass
class Stop:
    """Set by SIGINT and SIGTERM; a second Ctrl+C while stopping kills at once."""

    signals: list[int] = field(default_factory=list)

    def ask(self, signum, frame) -> None:
        self.signals.append(signum)


def main(argv: list[str]) -> int:
    options = _parse(argv)
    relais = [sys.executable, "-m", "relais.config.cli"]
    address = f"http://{options.host}:{options.port}"
    commands = [
        Command("web", "the web server",
                [*relais, "serve", "--host", options.host, "--port", str(options.port)]),
        # Without the autoreloader: SIGINT reaches the worker itself, which finishes the
        # task it is running (the reloader would kill it after 0.25 s).
        Command("worker", "the worker", [*relais, "worker", "--no-reload"]),
        Command("adt", "the ADT listener",
                [*relais, "adt-listen", "--host", "127.0.0.1", "--port", str(options.adt_port)]),
    ]
    env = {"RELAIS_BASE_URL": address, "SITE_URL": address, **os.environ,
           "PYTHONUNBUFFERED": "1"}
    print(f"Relais on {address}/ with its worker and the ADT listener (MLLP) on "
          f"127.0.0.1:{options.adt_port}. Ctrl+C stops all three.", flush=True)
    return supervise(commands, env=env)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="relais run", description="web server, worker and ADT listener together")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--adt-port", type=int, default=int(os.environ.get("ADT_PORT", "2575")),
                        help="the ADT listener's port on 127.0.0.1 (0: any free port)")
    return parser.parse_args(argv)


def supervise(commands: list[Command], *, env: dict | None = None) -> int:
    """Start every command, wait until a signal comes or one of them stops, stop them
    all; 0 after a signal, else the exit code of the one that stopped by itself."""
    stop = Stop()
    signal.signal(signal.SIGINT, stop.ask)
    signal.signal(signal.SIGTERM, stop.ask)
    children = [_start(command, env) for command in commands]
    ended = _wait_for_the_first(children, stop)
    if ended is not None:
        others = " and ".join(c.command.label for c in children if c is not ended)
        _say(f"{ended.command.label} stopped by itself ({_how(ended.process.returncode)}): "
             f"stopping {others}.")
    _stop_all(children, stop)
    if ended is None:
        return 0
    return max(ended.process.returncode, 0) or 1


def _how(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit code {returncode}"


def _start(command: Command, env: dict | None) -> Child:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and sub-commands
        command.args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, process_group=0, encoding="utf-8", errors="replace")
    child = Child(command, process)
    threading.Thread(target=_relay, args=(child,), daemon=True).start()
    return child


OUTPUT = threading.Lock()


def _relay(child: Child) -> None:
    """Copy a child's output line by line, prefixed with its name."""
    for line in child.process.stdout:
        with OUTPUT:
            sys.stdout.write(f"{child.command.name:<6} | {line}")
            sys.stdout.flush()


def _say(text: str) -> None:
    with OUTPUT:
        print(f"relais run: {text}", file=sys.stderr, flush=True)


def _wait_for_the_first(children: list[Child], stop: Stop) -> Child | None:
    while not stop.signals:
        for child in children:
            if child.process.poll() is not None:
                return child
        time.sleep(POLL_SECONDS)
    return None


def _stop_all(children: list[Child], stop: Stop) -> None:
    """SIGINT to every group (what Ctrl+C would have done), then SIGKILL to what is left
    after GRACE_SECONDS or at the next signal (a second Ctrl+C)."""
    asked = len(stop.signals)
    _signal_groups(children, signal.SIGINT)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and len(stop.signals) <= asked:
        if all(child.process.poll() is not None for child in children):
            break
        time.sleep(POLL_SECONDS)
    for child in children:
        if child.process.poll() is None:
            _say(f"{child.command.label} did not stop: killed.")
    # The groups too: a child's own children must not outlive it.
    _signal_groups(children, signal.SIGKILL)
    for child in children:
        child.process.wait()


def _signal_groups(children: list[Child], signum: int) -> None:
    for child in children:
        with contextlib.suppress(ProcessLookupError):  # the whole group has ended already
            os.killpg(child.process.pid, signum)
