"""The `relais` command end to end, in its own process and its own SQLite database."""

import os
import sqlite3
import subprocess
import sys


def relais(*args, var_dir):
    env = {**os.environ, "RELAIS_VAR_DIR": str(var_dir), "DATABASE_URL": ""}
    env.pop("DATABASE_URL")
    return subprocess.run([sys.executable, "-m", "relais.config.cli", *args],
                          capture_output=True, text=True, env=env, timeout=180)


def test_help_lists_the_commands(tmp_path):
    result = relais("--help", var_dir=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "worker", "demo", "migrate", "audit verify", "manage"):
        assert command in result.stdout


def test_migrate_demo_twice_and_verify_the_audit_chain(tmp_path):
    assert relais("migrate", var_dir=tmp_path).returncode == 0
    first = relais("demo", var_dir=tmp_path)
    second = relais("demo", var_dir=tmp_path)
    assert "new: 11 organisations, 8 wards, 15 users, 14 memberships" in first.stdout
    assert "new: 0 organisations, 0 wards, 0 users, 0 memberships" in second.stdout
    assert "coordinator@demo.relais.example" in second.stdout
    assert "Demo persons: 0 new" in second.stdout
    verified = relais("audit", "verify", var_dir=tmp_path)
    assert verified.returncode == 0 and "audit log OK: " in verified.stdout

    with sqlite3.connect(tmp_path / "relais.sqlite3") as db:
        db.execute("UPDATE access_auditevent SET detail = '{}' WHERE seq = 1")
    broken = relais("audit", "verify", var_dir=tmp_path)
    assert broken.returncode != 0
    assert "event #1 (id 1): content was changed after it was written" in broken.stderr
