"""The `relais` command end to end, in its own process and its own SQLite database."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

pytestmark = pytest.mark.sqlite_only


def relais(*args, var_dir):
    env = {**os.environ, "RELAIS_VAR_DIR": str(var_dir), "DATABASE_URL": ""}
    env.pop("DATABASE_URL")
    return subprocess.run([sys.executable, "-m", "relais.config.cli", *args],
                          capture_output=True, text=True, env=env, timeout=180)


def test_help_lists_the_commands(tmp_path):
    result = relais("--help", var_dir=tmp_path)
    assert result.returncode == 0
    for command in ("run [--host", "serve", "worker", "demo", "migrate", "audit verify", "manage"):
        assert command in result.stdout


def test_migrate_demo_twice_and_verify_the_audit_chain(tmp_path, var_dirs):
    # `relais migrate` then `relais demo` on a new file ran once for the test run (the
    # other subprocess tests start from the same files): here, their answers and a copy.
    answers = var_dirs.copy("demo", tmp_path)
    assert answers["migrate"].returncode == 0, answers["migrate"].stderr
    first = answers["demo"]
    second = relais("demo", var_dir=tmp_path)
    assert "new: 13 organisations, 8 wards, 17 users, 16 memberships" in first.stdout
    assert "new: 0 organisations, 0 wards, 0 users, 0 memberships" in second.stdout
    assert "coordinator@demo.relais.example" in second.stdout
    assert "Demo persons: 0 new" in second.stdout
    assert "Demo portal logins: 2 new" in first.stdout
    assert "Demo portal logins: 0 new" in second.stdout
    assert "caregiver@demo.relais.example" in second.stdout
    sealed = relais("audit", "seal", var_dir=tmp_path)  # the worker's sealer is not running
    assert sealed.returncode == 0 and "sealed " in sealed.stdout
    verified = relais("audit", "verify", var_dir=tmp_path)
    assert verified.returncode == 0 and "audit log OK: " in verified.stdout

    with sqlite3.connect(tmp_path / "relais.sqlite3") as db:
        # The demo's own emails are dropped: nothing waits for the worker of `make run`.
        assert db.execute("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult").fetchone() \
            == (0,)
        assert db.execute("SELECT DISTINCT status, last_error FROM notifications_emaildelivery"
                          ).fetchall() == [("cancelled", "Demo data: not sent.")]
        db.execute("UPDATE access_auditevent SET detail = '{}' WHERE id = 1")
    broken = relais("audit", "verify", var_dir=tmp_path)
    assert broken.returncode == 1
    assert "event id 1: content was changed after batch #1" in broken.stderr


@pytest.mark.parametrize("after", [0.15, 0.3])
def test_ctrl_c_while_a_command_is_starting_ends_it_quietly(tmp_path, after):
    """`relais run` stopping may reach the ADT applier while it still imports Django
    (niced, on a busy machine: seconds): no traceback, the shell's code for SIGINT.
    Whether it comes during `relais.config.cli`'s own imports or Django's depends on the
    machine's load. Counted from the moment Python starts running `relais`'s code (told by
    `-X importtime`): before it, CPython's own start reports a Ctrl+C with a traceback,
    and on a loaded machine that start alone took over 0.15 s."""
    env = {**os.environ, "RELAIS_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "relais.config.cli", "migrate"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines, in_relais = [], threading.Event()

    def read():  # all of it, so that the child never waits on a full pipe
        for line in process.stdout:
            lines.append(line)
            if line.split("|")[-1].strip() == "relais.config":  # the module run's package
                in_relais.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert in_relais.wait(60), "".join(lines)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    reader.join(timeout=10)
    output = "".join(lines)

    assert "Traceback" not in output
    # 130: stopped by Ctrl+C; -SIGINT: before Python itself was up; 0: done before it came
    assert process.returncode in (0, 130, -signal.SIGINT)


def test_a_ctrl_c_wrapped_by_set_name_ends_quietly_too(monkeypatch):
    """Python 3.11 wraps an exception from a descriptor's __set_name__ in a RuntimeError:
    a Ctrl+C while Django makes a class at import time arrives that way."""
    from relais.config import cli

    def interrupted_while_making_a_class(argv):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__") from interrupt

    monkeypatch.setattr(cli, "_command", interrupted_while_making_a_class)
    assert cli.main(["migrate"]) == 130

    def broken(argv):
        raise RuntimeError("a real error")

    monkeypatch.setattr(cli, "_command", broken)
    with pytest.raises(RuntimeError, match="a real error"):
        cli.main(["migrate"])
