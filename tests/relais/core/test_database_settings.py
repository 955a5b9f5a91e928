"""Database connections: kept a minute in production, health-checked, and correct behind
PgBouncer in transaction pooling (issue 15)."""

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.sqlite_only  # reads settings in a subprocess, whatever the test DB

POSTGRES = "postgres://relais@db.example:5432/relais"
STRONG_SECRET = "k3J9-vQ2_pLx8sRt0wYz6bNc4mHf1dGa7eUi5oPq2rSt9uVw3xYz0aBc8dEf4gHi"
PRODUCTION = {"RELAIS_ENV": "production", "SECRET_KEY": STRONG_SECRET}


def database_settings(**env) -> dict:
    """settings.DATABASES["default"] as a fresh process reads it from `env`."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "DB_CONN_MAX_AGE", "DATABASE_PGBOUNCER",
                                "RELAIS_ENV", "RELAIS_PG_OPTIONS"}}
    code = ("import json; from relais.config import settings as s; "
            "print(json.dumps(s.DATABASES['default'], default=str))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**environment, **env}, timeout=60, check=True)
    return json.loads(result.stdout)


def test_production_keeps_connections_a_minute_and_checks_them():
    database = database_settings(DATABASE_URL=POSTGRES, **PRODUCTION)
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (60, True)
    assert database["OPTIONS"] == {"options": "-c jit=off -c max_parallel_workers_per_gather=0",
                                   "server_side_binding": True, "prepare_threshold": 5}
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_development_opens_a_connection_per_request_unless_told():
    assert database_settings(DATABASE_URL=POSTGRES)["CONN_MAX_AGE"] == 0
    assert database_settings(DATABASE_URL=POSTGRES, DB_CONN_MAX_AGE="30")["CONN_MAX_AGE"] == 30
    assert database_settings(DB_CONN_MAX_AGE="0", **PRODUCTION)["CONN_MAX_AGE"] == 0


def test_behind_pgbouncer_nothing_outlives_a_transaction():
    database = database_settings(DATABASE_URL=POSTGRES, DATABASE_PGBOUNCER="1", **PRODUCTION)
    assert database["OPTIONS"] == {"prepare_threshold": None,  # no prepared statements,
                                   "server_side_binding": True}  # unnamed ones are fine
    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True     # no named cursors
    assert database["CONN_MAX_AGE"] == 60


def test_sqlite_keeps_its_own_options_in_production():
    database = database_settings(**PRODUCTION)
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_a_url_naming_every_node_of_a_cluster_keeps_the_postgresql_options():
    """docs/deploy.md, "High availability with Patroni": the primary found by libpq."""
    database = database_settings(
        DATABASE_URL="postgres://relais@10.0.0.11:5432,10.0.0.12:5432/relais"
                     "?target_session_attrs=read-write&connect_timeout=3", **PRODUCTION)
    assert (database["HOST"], database["PORT"]) == ("10.0.0.11,10.0.0.12", "5432,5432")
    assert database["OPTIONS"]["target_session_attrs"] == "read-write"
    assert database["OPTIONS"]["prepare_threshold"] == 5
    assert database["OPTIONS"]["server_side_binding"] is True


def test_the_patroni_file_keeps_what_the_deployment_guide_promises():
    config = yaml.safe_load((Path(__file__).parents[3] / "deploy" / "patroni" /
                             "patroni.yml").read_text())
    dcs = config["bootstrap"]["dcs"]
    # No acknowledged write lost at a failover; the primary goes on without its standby.
    assert (dcs["synchronous_mode"], dcs["synchronous_mode_strict"]) == (True, False)
    # Patroni's rule, so that a slow etcd does not demote a healthy primary.
    assert dcs["loop_wait"] + 2 * dcs["retry_timeout"] <= dcs["ttl"]
    assert dcs["postgresql"]["use_pg_rewind"] and \
        dcs["postgresql"]["parameters"]["wal_log_hints"] == "on"
    # Settings every node must share live in etcd, not in one node's file.
    assert "max_connections" in dcs["postgresql"]["parameters"]
    assert "max_connections" not in config["postgresql"]["parameters"]
    # A primary whose Patroni froze must be reset before its key runs out (docs/deploy.md,
    # "Faster checks, and a vanishing that lost acknowledged messages").
    assert config["watchdog"]["mode"] == "required"
    assert config["watchdog"]["safety_margin"] < dcs["ttl"]


def _postgres_binary() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return found[-1] if found else shutil.which("postgres")


def _conf_names(text: str) -> dict:
    """name → value of a postgresql.conf's settings (comments and blank lines left out)."""
    settings = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, value = (part.strip() for part in line.split("=", 1))
            settings[name] = value.strip("'")
    return settings


@pytest.mark.skipif(_postgres_binary() is None, reason="no PostgreSQL server on this machine")
def test_every_postgresql_setting_shipped_is_one_the_server_knows():
    """A misspelt name in postgresql.conf stops the server at its next start; an extension's
    setting needs its library preloaded, and the library on the server."""
    binary = _postgres_binary()
    described = subprocess.run([binary, "--describe-config"], capture_output=True, text=True,
                               check=True).stdout
    known = {line.split("\t", 1)[0] for line in described.splitlines()}
    libraries = Path(binary).parents[1] / "lib"
    deploy = Path(__file__).parents[3] / "deploy"
    patroni = yaml.safe_load((deploy / "patroni" / "patroni.yml").read_text())
    files = {"relais.conf": _conf_names((deploy / "postgresql" / "relais.conf").read_text()),
             "patroni.yml (etcd)": patroni["bootstrap"]["dcs"]["postgresql"]["parameters"],
             "patroni.yml": patroni["postgresql"]["parameters"]}
    for where, settings in files.items():
        preloaded = str(settings.get("shared_preload_libraries", "")).split(",")
        for library in filter(None, preloaded):
            assert (libraries / f"{library.strip()}.so").exists(), (where, library)
        for name in settings:
            prefix = name.split(".", 1)[0]
            assert name in known or (prefix != name and prefix in preloaded), (where, name)
    assert files["relais.conf"]["pg_prewarm.autoprewarm"] == "on"
