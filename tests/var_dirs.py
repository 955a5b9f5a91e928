"""`relais migrate` and `relais demo` for the tests that run `relais` in a subprocess on its
own SQLite file (tests/test_cli.py, tests/test_run.py, the worker's clock): run once per
test run, then copied into each test's own var dir.

Migrating a new SQLite file costs about 30 s of CPU, the demo 10 s more; three tests each
did it for themselves. The first test that asks runs the real commands, in a fresh
clone's environment, in a folder the xdist workers share (under a file lock: a worker that
asks while another builds waits for it, then copies); each test gets a copy of the whole
var dir (the database, the outbox, the media) and the commands' answers to assert on.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

RELAIS = [sys.executable, "-m", "relais.config.cli"]


def environment(var_dir: Path) -> dict:
    """A fresh clone's environment: SQLite under var_dir, development, no EMAIL_URL."""
    env = {**os.environ, "RELAIS_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", "EMAIL_URL", "RELAIS_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return env


@dataclass(frozen=True)
class Answer:
    """What a `relais` command answered (as subprocess.CompletedProcess, kept as JSON)."""

    args: list
    returncode: int
    stdout: str
    stderr: str


# Each prepared var dir: the one it starts from (None: empty), the command run in it.
STEPS = {"migrated": (None, "migrate"), "demo": ("migrated", "demo")}


@dataclass
class VarDirs:
    """Prepared var dirs under `shared` (the same folder for every xdist worker)."""

    shared: Path

    def copy(self, name: str, var_dir: Path) -> dict[str, Answer]:
        """Copy the var dir `name` ("migrated", or "demo": migrated then the demo) into
        `var_dir`; return the answers of the commands that made it, by command."""
        built = self._built(name)
        shutil.copytree(built, var_dir, dirs_exist_ok=True)
        answers = json.loads((self.shared / f"{name}.json").read_text())
        return {command: Answer(**answer) for command, answer in answers.items()}

    def _built(self, name: str) -> Path:
        built = self.shared / name
        with open(self.shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            if not built.exists():
                self._build(name, built)
        return built

    def _build(self, name: str, built: Path) -> None:
        start, command = STEPS[name]
        building = self.shared / f"{name}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        answers = {}
        if start is not None:
            answers = {c: vars(a) for c, a in self.copy(start, building).items()}
        done = subprocess.run([*RELAIS, command], env=environment(building),
                              capture_output=True, text=True, timeout=300)
        answers[command] = vars(Answer(done.args, done.returncode, done.stdout, done.stderr))
        (self.shared / f"{name}.json").write_text(json.dumps(answers))
        building.rename(built)  # a failed command is kept too: each test asserts its answer
