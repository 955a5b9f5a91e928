"""The restore drill (issue 18, docs/deploy.md "Back up and restore"), on PostgreSQL.

The two shell blocks of the guide are read from docs/deploy.md and run as written, with
this machine's names put in for the production ones (the database, the backup and media
folders, the role; `sudo` and `systemctl` left out: the test runs as the database's
superuser and starts Relais itself). Data first: a person with her network, a booklet
entry with an attachment, their audit events, sealed as the worker seals them, and one
more entry after the seal (a dump always holds a few seconds of unsealed events). Then the
nightly backup, the restore into a new database and a new media folder, and Relais started
on them under gunicorn: the person page, the attachment's download (the same bytes) and
`relais audit verify` (in the restore block) must all pass, and every table hold the same
rows as the original.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from relais.audit import sealing
from relais.booklet import services as booklet
from tests.files import PDF
from tests.relais.network import conftest as network_fixtures

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the documented backup is pg_dump's; SQLite's is a file copy"),
    pytest.mark.django_db(transaction=True),
]

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "deploy.md"
ROLE = "relais_h4"  # the guide's role `relais`, here
PASSWORD = "restore-drill-2026"
BIN = Path(sys.executable).parent
# Lines of the guide that need a real server's services or users: not run here.
NOT_HERE = ("systemctl ", "chown ")


def guide_blocks() -> tuple[str, str]:
    """The backup and the restore, as docs/deploy.md writes them."""
    text = GUIDE.read_text()
    section = text[text.index("## Back up and restore"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 2, "the guide's backup and restore blocks"
    return blocks[0], blocks[1]


def test_the_guide_makes_the_folder_pg_dump_writes_to_before_the_first_backup():
    # The backup's pg_dump runs as postgres: into a folder that is not there, or root's,
    # it fails ("could not open output file") on a server set up by the guide.
    text = GUIDE.read_text()
    install = text[text.index("## Install"):text.index("## Back up and restore")]
    assert "install -d -o postgres -g postgres -m 750 /var/backups/relais" in install


def here(block: str, names: dict[str, str]) -> str:
    """The block with this machine's names, the lines only a real server runs left out."""
    for theirs, ours in names.items():
        block = block.replace(theirs, ours)
    lines = [line for line in block.splitlines() if not line.startswith(NOT_HERE)]
    script = "\n".join(lines)
    left = re.findall(r"/var/lib/|/var/backups/|/opt/relais|/etc/relais|sudo |\brelais_restored\b",
                      script)
    assert not left, f"a production name the drill does not know: {left}\n{script}"
    return script


def run(script: str, env: dict) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- {done.stderr}"
    return done.stdout + done.stderr


def fingerprint(dbname: str, *, leave_out=()) -> dict[str, tuple]:
    """Each table's row count and a checksum of its rows."""
    db = connection.settings_dict
    with psycopg.connect(dbname=dbname, host=db["HOST"] or "127.0.0.1",
                         port=db["PORT"] or 5432, user=db["USER"], autocommit=True) as pg:
        tables = [name for (name,) in pg.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
                  if name not in leave_out]
        return {name: pg.execute(f'SELECT count(*), coalesce(sum(hashtext(t::text)), 0) '  # noqa: S608
                                 f'FROM "{name}" t').fetchone() for name in tables}


@pytest.fixture
def restored_database():
    name = f"relais_h4_restored_{os.getpid()}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f"DO $$ BEGIN CREATE ROLE {ROLE} NOLOGIN; "
                       f"EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    yield name
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A browser's cookies and forms, against Relais on loopback."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
            CookieJar()))

    def get(self, path: str):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.geturl(), response.read()

    def log_in(self, email: str, password: str) -> None:
        _, _, page = self.get(reverse("accounts:login"))
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": email, "password": password,
                                       "csrfmiddlewaretoken": token.decode()}).encode()
        with self.opener.open(self.base + reverse("accounts:login"), form, timeout=30) as done:
            assert reverse("accounts:login") not in done.geturl(), "the login was refused"

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                assert time.monotonic() < deadline, "Relais did not start"
                time.sleep(0.2)


def test_the_documented_backup_restores_into_a_new_database_and_media_folder(
        madeleine, coordinator, tmp_path, settings, restored_database):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    letter = booklet.write(madeleine, author=coordinator, body="The discharge letter",
                           attachment=SimpleUploadedFile("letter.pdf", PDF, "application/pdf"))
    coordinator.password = Argon2PasswordHasher().encode(PASSWORD, "restoredrillsalt")
    coordinator.save(update_fields=["password"])
    sealing.seal(grace=timedelta(0))  # as the worker does every 2 s
    booklet.write(madeleine, author=coordinator, body="Written after the last seal")
    source = connection.settings_dict["NAME"]
    today = date.today().isoformat()
    backups, restored_var = tmp_path / "backups", tmp_path / "restored"
    backups.mkdir()
    restored_var.mkdir()  # a new installation's folder, its media not there yet
    env_file = tmp_path / "relais.env"
    env_file.write_text(f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/{restored_database}\n"
                        f"RELAIS_VAR_DIR={restored_var}\n")
    env = {**os.environ, "PGHOST": connection.settings_dict["HOST"] or "127.0.0.1",
           "PGPORT": str(connection.settings_dict["PORT"] or 5432),
           "PGUSER": connection.settings_dict["USER"], "PATH": f"{BIN}:{os.environ['PATH']}"}
    for name in ("DATABASE_URL", "RELAIS_VAR_DIR", "RELAIS_ENV", "EMAIL_URL"):
        env.pop(name, None)
    backup, restore = guide_blocks()
    names = {"sudo -u postgres ": "", "sudo -u relais -E ": "",
             "/opt/relais/venv/bin/relais": str(BIN / "relais"),
             "/var/backups/relais": str(backups), "$(date +%F)": today, "2026-12-03": today,
             "/etc/relais/relais.env": str(env_file), "relais_restored": restored_database,
             "-d relais ": f"-d {source} ", "-O relais ": f"-O {ROLE} ",
             "--role=relais ": f"--role={ROLE} "}

    run(here(backup, names | {"/var/lib/relais/media": str(settings.MEDIA_ROOT)}), env)
    port = free_port()
    relais = subprocess.Popen(  # starts while the database is restored: it asks nothing yet
        [str(BIN / "gunicorn"), "relais.config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "1"],
        env=env | {"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{restored_database}",
                   "RELAIS_VAR_DIR": str(restored_var)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        said = run(here(restore, names | {"/var/lib/relais/media": str(restored_var / "media")}),
                   env)
        assert "audit log OK" in said and "audit head kept" in said, said
        assert fingerprint(restored_database, leave_out={"audit_auditbatch"}) == \
            fingerprint(source, leave_out={"audit_auditbatch"})

        browser = Browser(f"http://127.0.0.1:{port}")
        browser.wait(30)
        browser.log_in(coordinator.email, PASSWORD)
        person = reverse("network:person_detail", args=[madeleine.pk])
        status, url, page = browser.get(person)
        assert (status, url.removeprefix(browser.base)) == (200, person)
        assert b"Lambert" in page and b"Madeleine" in page
        status, _, body = browser.get(reverse("booklet:entry_attachment", args=[letter.pk]))
        assert (status, body) == (200, PDF)
    finally:
        relais.terminate()
        _, errors = relais.communicate(timeout=20)
    assert "Traceback" not in errors, errors
