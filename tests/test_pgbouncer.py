"""Relais behind a real PgBouncer in transaction pooling (issue 18, docs/deploy.md
"PgBouncer"), on PostgreSQL.

PgBouncer runs with deploy/pgbouncer/pgbouncer.ini, only its addresses, folders and pool
size replaced: ONE server connection for every client, so that any session state (a
prepared statement, a named cursor, a session SET or advisory lock) left by one client's
transaction would be met by another's. Relais runs under gunicorn with two workers, each
keeping its connection to PgBouncer (`DB_CONN_MAX_AGE`), with `DATABASE_PGBOUNCER=1`, as
the guide says. Two signed-in browsers open the pages of a person's record at once, many
times (psycopg would prepare a statement seen five times); every read is audited, so each
open also writes. Then `relais audit seal` and `relais audit verify` (which streams the log
in pages) run through the same PgBouncer.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connection
from django.urls import reverse

from relais.audit.models import AuditEvent
from tests.relais.network import conftest as network_fixtures
from tests.test_restore_drill import Browser, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from pgbouncer_ini import DEPLOYED, local_ini  # noqa: E402 - shared with bench/failover.py

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PgBouncer is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
]

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

TEMPLATE = DEPLOYED
BIN = Path(sys.executable).parent
PASSWORD = "pgbouncer-2026"
OPENS_EACH = 12  # per page and browser: past psycopg's prepare threshold (5) many times


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer") or shutil.which("/usr/sbin/pgbouncer")
    if found is None and os.environ.get("RELAIS_REQUIRE_PGBOUNCER"):
        pytest.fail("PgBouncer is required here (RELAIS_REQUIRE_PGBOUNCER): apt-get install "
                    "pgbouncer")
    return found


def configuration(template: str, *, port: int, folder: Path, database: str) -> str:
    """The deployed file with this machine's port, folder and database, and a pool of one
    server connection."""
    db = connection.settings_dict
    return local_ini(
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={database} "
        f"user={db['USER'] or 'postgres'}",
        {"listen_port": port, "auth_file": folder / "userlist.txt",
         # Debian's is /var/run/postgresql, not this test's
         "pidfile": folder / "pgbouncer.pid", "logfile": None, "unix_socket_dir": folder,
         "default_pool_size": 1, "reserve_pool_size": 0}, template)


class PgBouncer:
    """PgBouncer on a free port, in front of this test's database."""

    def __init__(self, binary: str, folder: Path):
        port = free_port()
        self.url = f"postgres://relais:{PASSWORD}@127.0.0.1:{port}/relais"
        (folder / "userlist.txt").write_text(f'"relais" "{PASSWORD}"\n')
        (folder / "pgbouncer.ini").write_text(configuration(
            TEMPLATE.read_text(), port=port, folder=folder,
            database=connection.settings_dict["NAME"]))
        command = [binary, str(folder / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            folder.chmod(0o755)
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self._log = None

    def log(self) -> str:
        """What PgBouncer said, once stopped."""
        if self._log is None:
            self.process.terminate()
            self._log, _ = self.process.communicate(timeout=20)
        return self._log


@pytest.fixture
def pgbouncer():
    binary = pgbouncer_binary()
    if binary is None:
        pytest.skip("PgBouncer is not installed (apt-get install pgbouncer)")
    folder = Path(tempfile.mkdtemp(prefix="relais-pgbouncer-"))
    bouncer = PgBouncer(binary, folder)
    try:
        _wait_for(bouncer.url, bouncer.process)
        yield bouncer
    finally:
        bouncer.log()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(url: str, process) -> None:
    for _ in range(100):
        assert process.poll() is None, process.communicate()[0]
        try:
            with psycopg.connect(url, connect_timeout=2) as probe:
                probe.execute("SELECT 1")
                return
        except psycopg.OperationalError:
            subprocess.run(["sleep", "0.1"], check=True)
    raise AssertionError("PgBouncer did not answer")


def relais_env(url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_PGBOUNCER": "1",
           "DB_CONN_MAX_AGE": "60", "PATH": f"{BIN}:{os.environ['PATH']}"}
    for name in ("RELAIS_ENV", "RELAIS_PG_OPTIONS", "EMAIL_URL", "DATABASE_REPLICA_URL"):
        env.pop(name, None)
    return env


def test_pages_writes_and_the_audit_tools_work_through_one_pooled_server_connection(
        madeleine, coordinator, pgbouncer, tmp_path):
    coordinator.password = Argon2PasswordHasher().encode(PASSWORD, "pgbouncersalt")
    coordinator.save(update_fields=["password"])
    env = relais_env(pgbouncer.url) | {"RELAIS_VAR_DIR": str(tmp_path)}
    port = free_port()
    relais = subprocess.Popen(
        [str(BIN / "gunicorn"), "relais.config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pk = madeleine.pk
    pages = [reverse("network:person_detail", args=[pk]), f"/persons/{pk}/booklet/",
             f"/persons/{pk}/timeline/", "/persons/", "/work/"]
    audited_before = AuditEvent.objects.count()
    try:
        browsers = [Browser(f"http://127.0.0.1:{port}") for _ in range(2)]
        browsers[0].wait(30)
        for browser in browsers:
            browser.log_in(coordinator.email, PASSWORD)
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda job: job[0].get(job[1]),
                                    [(browser, page) for page in pages * OPENS_EACH
                                     for browser in browsers * 2]))
    finally:
        relais.terminate()
        _, errors = relais.communicate(timeout=20)
    assert "Traceback" not in errors, errors
    assert {status for status, _, _ in answers} == {200}
    assert all(url.endswith(tuple(pages)) for _, url, _ in answers), "sent to log in again"
    assert all(b"Lambert" in body for _, url, body in answers if f"/{pk}/" in url)
    # Each open of the person's page was audited, and committed through PgBouncer.
    person_reads = AuditEvent.objects.filter(action="person.read", person_id=pk).count()
    assert person_reads >= 4 * OPENS_EACH
    assert AuditEvent.objects.count() > audited_before

    for command in (["audit", "seal"], ["audit", "verify"]):
        done = subprocess.run([str(BIN / "relais"), *command], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "audit log OK" in done.stdout + done.stderr
    # No client's error seen by PgBouncer (a prepared statement met by another client…).
    log = pgbouncer.log()
    assert " ERROR " not in log and "WARNING" not in log, log


def test_without_the_setting_pgbouncer_refuses_the_connection_the_guide_warns_of(
        pgbouncer, tmp_path):
    """The guide's DATABASE_PGBOUNCER=1 is not decoration: without it Relais sends startup
    options (jit, parallel workers) PgBouncer does not take."""
    env = relais_env(pgbouncer.url) | {"RELAIS_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_PGBOUNCER")
    done = subprocess.run([str(BIN / "relais"), "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "unsupported startup parameter" in done.stdout + done.stderr


def test_the_deployed_file_pools_by_transaction_and_keeps_the_settings_the_test_replaces():
    text = TEMPLATE.read_text()
    assert "pool_mode = transaction" in text
    for replaced in ("listen_port", "auth_file", "pidfile", "logfile", "default_pool_size",
                     "reserve_pool_size"):  # else the test would add what production lacks
        assert f"\n{replaced} = " in text, replaced
    made = configuration(text, port=6543, folder=Path("/x"), database="relais_test")
    assert "listen_port = 6543" in made and "default_pool_size = 1" in made
    assert "logfile" not in made
