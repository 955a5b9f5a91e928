"""The read replica (issue 18, `relais.core.replica`), against a real second database.

Each test copies the primary's test database once its data is made (SQLite: the
in-memory database backed up into a second file; PostgreSQL: a second database created
from the first as its template) and then changes the copy through a connection of its
own, so that a page shows which database it read: "(replica)" in a service's name. The
copy stands for a standby that is as far behind as the test wants; Relais's own
connections to it are read-only, and a fingerprint of it taken before the pages and after
them shows that nothing was written there.
"""

import hashlib
import logging
import socket
import sqlite3
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.accounts.models import Function
from relais.audit.log import record
from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.booklet.models import ReadReceipt
from relais.config.replica import replica_database
from relais.core import replica as core_replica
from relais.core.replica import PIN_COOKIE, REPLICA
from relais.directory import services
from relais.directory.models import Category, Service
from relais.observatory import compute
from relais.observatory.models import Computation
from tests.factories import MembershipFactory, UserFactory
from tests.relais.network import conftest as network_fixtures

# Pages read the replica only outside a transaction: the tests commit.
with_replica = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

NAME = "Home nursing Woluwe"
ON_THE_REPLICA = "Home nursing Woluwe (replica)"


@dataclass
class Replica:
    """A second database: its URL, and a writable connection of the test's own."""

    url: str
    path: Path | None = None  # SQLite
    dsn: dict | None = None  # PostgreSQL

    def execute(self, sql: str, params=()) -> None:
        if self.path is not None:
            with sqlite3.connect(self.path) as db:
                db.execute(sql.replace("%s", "?"), params)
            return
        with psycopg.connect(**self.dsn, autocommit=True) as db:
            db.execute(sql, params)

    def fingerprint(self) -> str:
        """Changes when anything is written to it."""
        if self.path is not None:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        with psycopg.connect(**self.dsn, autocommit=True) as db:
            tables = [name for (name,) in db.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
            sums = [db.execute(f'SELECT count(*), coalesce(sum(hashtext(t::text)), 0) '  # noqa: S608
                               f'FROM "{name}" t').fetchone() for name in tables]
        return hashlib.sha256(repr(list(zip(tables, sums, strict=True))).encode()).hexdigest()


def _copy_sqlite(folder: Path) -> Replica:
    path = folder / "replica.sqlite3"
    path.unlink(missing_ok=True)
    primary = connections["default"]
    primary.ensure_connection()
    with sqlite3.connect(path) as copy:
        primary.connection.backup(copy)
    copy.close()
    return Replica(f"sqlite:///{path}", path=path)


def _copy_postgresql() -> Replica:
    primary = connections["default"]
    config = primary.settings_dict
    source, name = config["NAME"], f"{config['NAME']}_replica"
    primary.close()  # a template database must have no other session
    with primary._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _create_from_template(cursor, name, source)
    dsn = {"dbname": name, "host": config["HOST"] or "127.0.0.1",
           "port": int(config["PORT"] or 5432), "user": config["USER"],
           "password": config["PASSWORD"] or None}
    url = (f"postgres://{config['USER']}:{config['PASSWORD'] or ''}@{dsn['host']}:"
           f"{dsn['port']}/{name}")
    return Replica(url, dsn=dsn)


def _create_from_template(cursor, name: str, source: str) -> None:
    """Copy `source`, which must have no other session. This xdist worker owns its test
    database, so any session still on it is this process's own: a thread an earlier test
    started (a live server, a worker under test) whose connection outlived it. It is
    ended; PostgreSQL ends a backend asynchronously, so the copy is tried a few times."""
    for attempt in range(20):
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", [source])
        try:
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            return
        except OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.1)


def _register(url: str) -> None:
    """Point the `replica` alias at `url`: what `DATABASE_REPLICA_URL` does at start."""
    primary = connections["default"].settings_dict
    config = replica_database(url, primary, pgbouncer=False)
    if REPLICA in connections.settings:
        connections[REPLICA].close()
        del connections[REPLICA]  # this thread's connection: the next one uses `url`
    connections.settings[REPLICA] = connections.configure_settings(
        {"default": primary, REPLICA: config})[REPLICA]
    core_replica.forget_health()


def _unreachable(folder: Path) -> str:
    if connections["default"].vendor == "sqlite":
        return f"sqlite:///{folder / 'gone' / 'replica.sqlite3'}"
    return "postgres://postgres@127.0.0.1:9/nowhere"  # the discard port: refused


@pytest.fixture(scope="module", autouse=True)
def replica_alias(tmp_path_factory):
    """The alias exists from the module's start (pytest-django lets a test use only the
    databases it names, and checks them before the test's fixtures run), pointing at
    nothing until a test copies the primary. Its TEST MIRROR keeps the test runner from
    creating or emptying it."""
    _register(_unreachable(tmp_path_factory.mktemp("replica")))
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]
    core_replica.forget_health()


# A copy is another database than the primary's, and Relais never reads one
# (`core_replica.IDENTITY`): here it stands for a standby, so both say the same.
AS_A_STANDBY = "'a standby of the primary'"
IDENTITY = core_replica.IDENTITY


@pytest.fixture
def replica(transactional_db, tmp_path, monkeypatch):
    """`replica()`: copy the primary now and read from the copy; `replica(reachable=False)`:
    a replica that does not answer."""
    made: list[Replica] = []
    monkeypatch.setattr(core_replica, "IDENTITY", AS_A_STANDBY)

    def make(*, reachable: bool = True) -> Replica:
        if not reachable:
            copy = Replica(_unreachable(tmp_path))
        elif connections["default"].vendor == "sqlite":
            copy = _copy_sqlite(tmp_path)
        else:
            copy = _copy_postgresql()
        made.append(copy)
        _register(copy.url)
        return copy

    yield make
    _register(_unreachable(tmp_path))
    for copy in made:
        if copy.dsn is not None:
            with connections["default"]._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy.dsn["dbname"]}" WITH (FORCE)')


@pytest.fixture
def nursing_manager(world):
    user = UserFactory(email="nursing-manager@test.relais.example")
    MembershipFactory(user=user, organisation=world.home_nursing, function=Function.MANAGER,
                      is_manager=True)
    return user


@pytest.fixture
def woluwe(world, platform_admin) -> Service:
    return services.create_service(world.home_nursing, {
        "category": Category.HOME_NURSING, "name_nl": "Thuisverpleging Woluwe",
        "name_fr": "Soins à domicile Woluwe", "name_en": NAME, "languages": ["nl", "fr"]},
        actor=platform_admin)


def copied_with_its_own_name(replica, service) -> Replica:
    """A replica of the primary as it is now, where the service has another name."""
    copy = replica()
    copy.execute("UPDATE directory_service SET name_en = %s WHERE id = %s",
                 [ON_THE_REPLICA, service.pk])
    return copy


def title(response) -> str:
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index("<h1>") + 4:page.index("</h1>")]


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "relais.replica" and r.levelno >= logging.WARNING]


def detail(service) -> str:
    return reverse("directory:service_detail", args=[service.pk])


def edit_form(service, **changes) -> dict:
    return {"category": service.category, "name_nl": service.name_nl,
            "name_fr": service.name_fr, "name_en": service.name_en,
            "capacity": service.capacity, "status": service.status,
            "urgent_start": service.urgent_start, "version": service.version,
            "languages": service.languages.split()} | changes


def queried(context, table: str) -> bool:
    return any(f'"{table}"' in query["sql"] for query in context.captured_queries)


# --- a listed page reads the replica; the rest of the request does not ------------------


@with_replica
def test_a_listed_page_reads_the_replica_and_nothing_is_written_there(replica, woluwe,
                                                                     persona_client):
    copy = copied_with_its_own_name(replica, woluwe)
    before = copy.fingerprint()
    client = persona_client("home_nurse")

    with CaptureQueriesContext(connections[REPLICA]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        assert title(client.get(detail(woluwe))) == ON_THE_REPLICA

    assert queried(on_replica, "directory_service")
    assert not queried(on_primary, "directory_service")
    # The session and the signed-in user were read before the page: on the primary.
    assert queried(on_primary, "django_session")
    assert not queried(on_replica, "django_session")
    # The directory's search too.
    assert ON_THE_REPLICA in client.get(reverse("directory:service_search")).content.decode()
    assert copy.fingerprint() == before


@with_replica
def test_after_a_post_the_same_browser_reads_the_primary_until_the_pin_ends(
        replica, woluwe, persona_client, nursing_manager, client):
    copy = copied_with_its_own_name(replica, woluwe)
    before = copy.fingerprint()
    client.force_login(nursing_manager)
    assert title(client.get(detail(woluwe))) == ON_THE_REPLICA
    # The edit page is not listed: its form starts from the primary's row.
    form = client.get(reverse("directory:service_edit", args=[woluwe.pk])).context["form"]
    assert form.instance.name_en == NAME

    response = client.post(reverse("directory:service_edit", args=[woluwe.pk]),
                           edit_form(woluwe, name_en="Wijkverpleging Kapelleveld"))

    assert response.status_code == 302
    pin = response.cookies[PIN_COOKIE]
    assert pin["max-age"] == 15 and pin["httponly"] and pin["samesite"] == "Lax"
    # Right after the POST this browser reads its own write, from the primary ...
    assert title(client.get(detail(woluwe))) == "Wijkverpleging Kapelleveld"
    # ... another browser reads the replica, which has not caught up ...
    assert title(persona_client("home_nurse").get(detail(woluwe))) == ON_THE_REPLICA
    # ... and so does this one once its pin has ended.
    client.cookies[PIN_COOKIE] = str(int(time.time()) - 1)
    assert title(client.get(detail(woluwe))) == ON_THE_REPLICA
    assert copy.fingerprint() == before


@with_replica
def test_a_page_that_writes_pins_its_browser_one_that_only_reads_does_not(
        replica, woluwe, madeleine, coordinator, gp, persona_client):
    """The booklet's GET writes read receipts: the browser is pinned as after a POST. The
    directory's writes nothing (its reads of person data would only be audited, which no
    page reads back)."""
    booklet.write(madeleine, author=coordinator, body="Seen by whom?")
    copied_with_its_own_name(replica, woluwe)
    client = persona_client("gp")

    response = client.get(detail(woluwe))
    assert title(response) == ON_THE_REPLICA and PIN_COOKIE not in response.cookies
    response = client.get(reverse("booklet:booklet", args=[madeleine.pk]))

    assert response.status_code == 200 and ReadReceipt.objects.filter(user=gp).exists()
    assert PIN_COOKIE in response.cookies
    assert title(client.get(detail(woluwe))) == NAME  # the same browser: the primary


# --- what always reads the primary -------------------------------------------------------


@with_replica
def test_transactions_locks_writes_and_the_audit_log_read_the_primary(replica, woluwe,
                                                                     platform_admin):
    copied_with_its_own_name(replica, woluwe)

    def name() -> str:
        return Service.objects.get(pk=woluwe.pk).name_en

    with core_replica.reading(stop_at_write=True):
        assert name() == ON_THE_REPLICA
        with transaction.atomic():
            assert name() == NAME
        assert Service.objects.select_for_update().db == "default"
        assert AuditEvent.objects.all().db == "default"
        record("test.replica", actor=platform_admin)  # the audit log is never read back
        assert name() == ON_THE_REPLICA
        Service.objects.filter(pk=woluwe.pk).update(fees="Free")  # a write: read it back
        assert name() == NAME
        assert Service.objects.using(REPLICA).get(pk=woluwe.pk).fees == ""
    with core_replica.reading():  # the observatory's computation: it writes, reads on
        Service.objects.filter(pk=woluwe.pk).update(fees="Free again")
        assert name() == ON_THE_REPLICA
    assert name() == NAME  # outside: the primary


@with_replica
def test_the_observatory_computes_from_the_replica_and_writes_to_the_primary(replica,
                                                                            woluwe):
    copy = replica()
    before = copy.fingerprint()

    with CaptureQueriesContext(connections[REPLICA]) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        run = compute.compute()

    grouped = [q["sql"] for q in on_replica.captured_queries if "GROUP BY" in q["sql"]]
    assert len(grouped) > 20  # every indicator's aggregates
    assert not any("GROUP BY" in q["sql"] and '"stays_stay"' in q["sql"]
                   for q in on_primary.captured_queries)
    assert Computation.objects.get().pk == run.pk and run.status == "done"
    assert not Computation.objects.using(REPLICA).exists()
    assert copy.fingerprint() == before


# --- a replica down, lagging, or failing under a page ------------------------------------


@with_replica
def test_a_replica_that_does_not_answer_is_left_alone(replica, woluwe, persona_client,
                                                      caplog):
    replica(reachable=False)
    client = persona_client("home_nurse")
    with caplog.at_level(logging.WARNING, logger="relais.replica"):
        assert title(client.get(detail(woluwe))) == NAME
        assert title(client.get(detail(woluwe))) == NAME  # not asked again for a while
    [said] = warnings(caplog)
    assert said.startswith("the read replica does not answer")


@with_replica
def test_a_replica_too_far_behind_is_left_alone(replica, woluwe, persona_client, settings,
                                                caplog):
    copied_with_its_own_name(replica, woluwe)
    settings.RELAIS_REPLICA_MAX_LAG_SECONDS = -1  # even a current replica is "too far"
    with caplog.at_level(logging.WARNING, logger="relais.replica"):
        assert title(persona_client("home_nurse").get(detail(woluwe))) == NAME
    assert "s behind (more than -1): reading from the primary" in caplog.text


@pytest.mark.skipif(connections["default"].vendor != "postgresql",
                    reason="SQLite has no standby to tell from a copy")
@with_replica
def test_a_copy_that_is_no_standby_of_the_primary_is_left_alone(replica, woluwe,
                                                                persona_client, monkeypatch,
                                                                caplog):
    # A stale copy, or the standby of the database left behind by a restore into a new
    # one: its WAL says it is current, but it never will be.
    copied_with_its_own_name(replica, woluwe)
    monkeypatch.setattr(core_replica, "IDENTITY", IDENTITY)
    with caplog.at_level(logging.WARNING, logger="relais.replica"):
        assert title(persona_client("home_nurse").get(detail(woluwe))) == NAME
    [said] = warnings(caplog)
    assert said.startswith("the read replica is not a standby of the primary's database")


@with_replica
def test_a_replica_failing_under_a_page_is_left_and_the_page_read_again(replica, woluwe,
                                                                      persona_client,
                                                                      caplog, monkeypatch):
    # Not asked again between the two pages, however long dropping the copy takes on a
    # loaded machine (else it is found not answering before the page, not under it).
    monkeypatch.setattr(core_replica, "CHECK_SECONDS", 600)
    copy = copied_with_its_own_name(replica, woluwe)
    client = persona_client("home_nurse")
    assert title(client.get(detail(woluwe))) == ON_THE_REPLICA  # usable: not asked for 5 s
    _take_away(copy)

    with caplog.at_level(logging.WARNING, logger="relais.replica"):
        assert title(client.get(detail(woluwe))) == NAME
        assert title(client.get(detail(woluwe))) == NAME
    [said] = warnings(caplog)
    assert said.startswith("the read replica failed under directory:service_detail")
    assert connections[REPLICA].connection is None  # left alone for DOWN_SECONDS


@pytest.mark.skipif(connections["default"].vendor != "postgresql",
                    reason="a standby's connection held without a word is PostgreSQL's")
@with_replica
def test_a_replica_holding_a_kept_connection_without_a_word_is_left_within_seconds(
        replica, woluwe, persona_client, caplog):
    # Its PgBouncer waiting for a PostgreSQL that is down (60 s, query_wait_timeout), a
    # hung server: TCP answers, the query does not.
    copy = copied_with_its_own_name(replica, woluwe)
    relay = Relay(copy.dsn["host"], copy.dsn["port"])
    _register(copy.url.replace(f":{copy.dsn['port']}/", f":{relay.port}/"))
    client = persona_client("home_nurse")
    assert title(client.get(detail(woluwe))) == ON_THE_REPLICA  # its connection kept
    relay.silent.set()
    core_replica.forget_health()  # asked again at the next page

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="relais.replica"):
        assert title(client.get(detail(woluwe))) == NAME
    assert time.monotonic() - started < 5  # the connect timeout (2 s), not the relay's 15
    [said] = warnings(caplog)
    assert said.startswith("the read replica does not answer")
    relay.close()


@pytest.mark.skipif(connections["default"].vendor != "postgresql",
                    reason="a standby's connection held without a word is PostgreSQL's")
@with_replica
def test_a_replica_that_stops_answering_after_a_good_look_is_cut_under_the_page(
        replica, woluwe, persona_client, caplog, monkeypatch, settings):
    # Its lag asked and found good, then the standby hangs before the page's own queries:
    # they are cut after RELAIS_REPLICA_QUERY_SECONDS and the page read on the primary.
    monkeypatch.setattr(core_replica, "CHECK_SECONDS", 600)  # not asked again
    settings.RELAIS_REPLICA_QUERY_SECONDS = 1
    copy = copied_with_its_own_name(replica, woluwe)
    relay = Relay(copy.dsn["host"], copy.dsn["port"])
    _register(copy.url.replace(f":{copy.dsn['port']}/", f":{relay.port}/"))
    client = persona_client("home_nurse")
    assert title(client.get(detail(woluwe))) == ON_THE_REPLICA  # looked at, found good
    relay.silent.set()

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="relais.replica"):
        assert title(client.get(detail(woluwe))) == NAME
    assert time.monotonic() - started < 5  # 1 s and a tick, not the relay's 15
    [said] = warnings(caplog)
    assert said.startswith("the read replica failed under directory:service_detail")
    relay.close()


class Relay:
    """A TCP relay to PostgreSQL that, once `silent`, passes nothing on and keeps its
    connections open (for 15 s at most: a test without the cut would not hang for ever)."""

    def __init__(self, host: str, port: int):
        self.target, self.silent = (host, port), threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with suppress(OSError):
            while True:
                client, _ = self.server.accept()
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        with suppress(OSError):
            while data := source.recv(65536):
                if self.silent.is_set():
                    time.sleep(15)
                    break
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.server.close()


def _take_away(copy: Replica) -> None:
    """The standby goes away under Relais's open connection."""
    if copy.path is not None:
        copy.path.unlink()  # reopened, it is an empty file: no table to read
        connections[REPLICA].close()
        return
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE "{copy.dsn["dbname"]}" WITH (FORCE)')


# --- settings and metrics ----------------------------------------------------------------


def test_the_replica_is_opened_read_only_and_gives_up_quickly():
    primary = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60,
               "OPTIONS": {"options": "-c jit=off"}}
    config = replica_database("postgres://relais@standby:5432/relais", primary,
                              pgbouncer=False)
    # Given up within seconds also when it vanishes under a kept connection (no reset):
    # a query not acknowledged in 2 s, a wait whose keepalives go unanswered for 4 s.
    gives_up = {"connect_timeout": 2, "tcp_user_timeout": 2000, "keepalives": 1,
                "keepalives_idle": 2, "keepalives_interval": 1, "keepalives_count": 2}
    assert config["OPTIONS"] == gives_up | {
        "options": "-c jit=off -c default_transaction_read_only=on"}
    assert (config["HOST"], config["CONN_MAX_AGE"], config["TEST"]) == (
        "standby", 60, {"MIRROR": "default"})
    behind_pgbouncer = replica_database(
        "postgres://relais@127.0.0.1:6433/relais",
        primary | {"OPTIONS": {"prepare_threshold": None}}, pgbouncer=True)
    assert behind_pgbouncer["OPTIONS"] == gives_up | {"prepare_threshold": None}
    assert behind_pgbouncer["DISABLE_SERVER_SIDE_CURSORS"]
    with pytest.raises(ImproperlyConfigured, match="same kind of database"):
        replica_database("sqlite:///copy.sqlite3", primary, pgbouncer=False)


@with_replica
def test_metrics_say_whether_the_replica_answers_and_how_far_behind(replica, client):
    replica()
    body = client.get(reverse("core:metrics")).content.decode()
    assert "relais_replica_up 1.0" in body and "relais_replica_lag_seconds 0.0" in body
    replica(reachable=False)
    body = client.get(reverse("core:metrics")).content.decode()
    assert "relais_replica_up 0.0" in body and "relais_replica_lag_seconds" not in body
