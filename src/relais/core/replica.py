"""Reads from a read replica where a little lag is harmless; everything else on the primary.

With `DATABASE_REPLICA_URL` Django has a second database, `replica` (a PostgreSQL hot
standby fed by streaming replication: docs/deploy.md, "A read replica"). Reads go there
only where they are known to tolerate a few seconds of lag:

* the pages named in `RELAIS_REPLICA_PAGES` (the observatory, the directory, the HSDS
  API: no person's record, so the gate's "a withdrawn consent works on the very next
  request" never waits for a replica), asked with GET or HEAD, by a browser that did not
  send a POST (or make a page write) in the last `RELAIS_REPLICA_PIN_SECONDS`: after each
  one the response sets a short cookie that pins it to the primary ("read your own
  writes");
* the observatory's nightly computation (`reading()`), which reads person data in
  aggregate and writes only its own figures.

And there only until a write: once the request sends an INSERT, UPDATE or DELETE (but the
audit log's, the session's and the lock-out's, which no page reads back) the rest of it
reads the primary. Always on the primary: writes (`db_for_write`: the audit log too), reads
inside a transaction, `select_for_update()` (Django sends it to the database for writing),
the session, the lock-out, the task queue and the audit log (`PRIMARY_ONLY`). The replica's
connections are opened read-only besides (`config/replica.py`).

A replica that does not answer, is more than `RELAIS_REPLICA_MAX_LAG_SECONDS` behind, or
is not a standby of the primary's database (a copy: `IDENTITY`) is left alone: each
process looks at most every `CHECK_SECONDS` (`usable()`). A page whose replica query fails
half-way (the standby went away, or held a query longer than
`RELAIS_REPLICA_QUERY_SECONDS`) is run again on the primary, if it wrote nothing, and the
replica is left alone for `DOWN_SECONDS`.
"""

import fnmatch
import logging
import math
import os
import re
import socket
import threading
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger("relais.replica")

REPLICA = "replica"
PRIMARY = DEFAULT_DB_ALIAS
PIN_COOKIE = "relais_primary"
CHECK_SECONDS = 5  # how often a process asks the replica how far behind it is
DOWN_SECONDS = 30  # a replica that failed is left alone this long
SAFE_METHODS = ("GET", "HEAD")
# Read on the primary whatever the page: what a request writes and must read back at once
# (the session, the lock-out), the queue the workers share, the audit log.
PRIMARY_ONLY = {"sessions", "axes", "otp_totp", "otp_static", "django_tasks_db", "audit",
                "oauth2_provider", "core.heartbeat", "core.clockrun"}
# A write and its table (SQLite's bulk_create(ignore_conflicts=True) says INSERT OR IGNORE).
_WRITE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)'
                    r'\s+"?(\w+)', re.IGNORECASE)
# Writes after which a page may still read the replica: nothing it shows reads them back.
_NOT_READ_BACK = ("access_auditevent", "audit_", "django_session", "axes_")


@dataclass
class Reading:
    """What one request (or one `reading()` block) may read from the replica."""

    active: bool = False  # reads go to the replica (until a write, if stop_at_write)
    stop_at_write: bool = True
    wrote: bool = False  # a write that is read back was sent to the primary
    used: bool = False  # a read was sent to the replica

    def replica_for(self, model) -> bool:
        if not self.active or (self.wrote and self.stop_at_write):
            return False
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY or meta.label_lower in PRIMARY_ONLY:
            return False
        if connections[PRIMARY].in_atomic_block:  # a transaction reads what it wrote
            return False
        self.used = True
        return True


_reading: ContextVar[Reading | None] = ContextVar("relais_replica_reading", default=None)


def configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """Django's database router (`DATABASE_ROUTERS`). Without a replica it says nothing,
    and Django does what it does alone."""

    def db_for_read(self, model, **hints):
        if not configured():
            return None
        reading = _reading.get()
        return REPLICA if reading is not None and reading.replica_for(model) else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY if configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may point at one
        # read here (and be saved, on the primary).
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None  # a standby takes its schema from the WAL


def _note_write(execute, sql, params, many, context):
    reading = _reading.get()
    if reading is not None and not reading.wrote:
        written = _WRITE.match(sql)
        if written and not written.group(1).lower().startswith(_NOT_READ_BACK):
            reading.wrote = True
    return execute(sql, params, many, context)


@contextmanager
def _watching(reading: Reading):
    token = _reading.set(reading)
    try:
        with connections[PRIMARY].execute_wrapper(_note_write):
            yield reading
    finally:
        _reading.reset(token)


@contextmanager
def reading(*, stop_at_write: bool = False):
    """Reads inside the block go to the replica while it is usable; by default even after
    the block writes: for work that reads what others wrote and writes only what it does
    not read back (the observatory's computation). Transactions inside it still read the
    primary. `stop_at_write=True` is a page's rule: the primary from the first write on."""
    if not configured():
        yield None
        return
    with _watching(Reading(active=usable(), stop_at_write=stop_at_write)) as state:
        yield state


# --- is the replica usable ---------------------------------------------------------------

# Which database this is. A standby (pg_basebackup, streaming) keeps its primary's system
# identifier and the database's oid; a copy does not (CREATE DATABASE … TEMPLATE, a dump
# restored, as after "Back up and restore" in docs/deploy.md while DATABASE_REPLICA_URL
# still names the standby of the database left behind): it never catches up, whatever
# its WAL says, and is never read.
IDENTITY = ("(SELECT system_identifier FROM pg_control_system())::text || '/' || "
            "(SELECT oid FROM pg_database WHERE datname = current_database())::text")
# On the primary: how far its WAL has gone. On the replica: whether it has replayed that
# far (then it is current whatever the clock says), else the age of the last transaction
# it replayed, the usual measure of a standby's lag; 0 for the primary's database that is
# no standby (the replica's address names the primary, after a failover).
PRIMARY_POSITION = "SELECT pg_current_wal_lsn()::text, {identity}"
REPLICA_LAG = """
SELECT {identity},
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_replay_lsn() >= %s::pg_lsn THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()),
                          'Infinity') END"""


@dataclass
class _Health:
    until: float = 0.0  # monotonic time of the next look
    usable: bool = False
    lag: float | None = None  # seconds behind at the last look; None: did not answer


_health = _Health()
_health_lock = threading.Lock()


def lag_seconds() -> float | None:
    """How many seconds the replica is behind the primary now; None if it does not answer,
    infinity if it is another database than the primary's."""
    replica = connections[REPLICA]
    try:
        if replica.vendor != "postgresql":
            with replica.cursor() as cursor:
                cursor.execute("SELECT 0")  # a copy for tests (SQLite): current by definition
            return 0.0
        position, primary = _primary_position()
        replica.ensure_connection()  # a new connection gives up after its connect_timeout
        with _cut_after(replica, replica.settings_dict["OPTIONS"].get("connect_timeout", 2)
                        ), replica.cursor() as cursor:
            cursor.execute(REPLICA_LAG.format(identity=IDENTITY), [position])
            identity, lag = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("the read replica does not answer: %s", error)
        _close(replica)
        return None
    return max(float(lag), 0.0) if identity == primary else math.inf


@contextmanager
def _cut_after(connection, seconds: float):
    """Cut the connection's socket if the block takes longer than `seconds`: its query then
    fails at once. A kept connection to a standby's PgBouncer whose PostgreSQL is down is
    still answered at the TCP level, and PgBouncer holds the query until its
    `query_wait_timeout` (60 s: a page waited that long); a frozen server's kernel answers
    TCP too. Neither a cancel nor the TCP timeouts (`config/replica.py`) reach them."""
    with _watchdog.watching(connection, seconds) as watch:
        try:
            yield
        finally:
            if watch.cut:  # (or it ended just in time: the socket is cut all the same)
                _close(connection)


@dataclass(eq=False)
class _Watch:
    fd: int
    deadline: float
    cut: bool = False


class _Watchdog:
    """One thread per process that cuts the sockets of replica queries past their deadline.
    Cheaper than a timer thread a query (200 µs: a directory page sends several): a query
    only adds itself to a set and takes itself out, and the thread looks a few times a
    second, only while queries run. A query past its deadline is cut within `TICK`."""

    TICK = 0.25

    def __init__(self):
        self._lock = threading.Lock()
        self._running: set[_Watch] = set()
        self._busy = threading.Event()
        self._pid = 0  # the process whose thread runs

    @contextmanager
    def watching(self, connection, seconds: float):
        watch = _Watch(connection.connection.fileno(), time.monotonic() + seconds)
        with self._lock:
            self._running.add(watch)
            if self._pid != os.getpid():  # a forked worker has no thread yet
                self._start()
        if not self._busy.is_set():
            self._busy.set()
        try:
            yield watch
        finally:
            # Taken out under the lock the thread cuts under: a socket is never cut once
            # its query has ended (its descriptor may be another socket by then).
            with self._lock:
                self._running.discard(watch)

    def _start(self) -> None:
        self._pid = os.getpid()
        threading.Thread(target=self._run, name="relais-replica-watchdog", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._busy.wait()
            time.sleep(self.TICK)
            with self._lock:
                if not self._running:
                    self._busy.clear()
                now = time.monotonic()
                for watch in self._running:
                    if watch.deadline <= now and not watch.cut:
                        watch.cut = True
                        _shut(watch.fd)


@contextmanager
def _time_limits():
    replica = connections[REPLICA]
    if replica.vendor != "postgresql":  # a copy for tests (SQLite): a file, never held
        yield
        return
    with replica.execute_wrapper(_time_limited):
        yield


def _shut(fd: int) -> None:
    with suppress(OSError), socket.socket(fileno=os.dup(fd)) as sock:
        sock.shutdown(socket.SHUT_RDWR)


_watchdog = _Watchdog()


def _time_limited(execute, sql, params, many, context):
    """A page's query on the replica, cut after `RELAIS_REPLICA_QUERY_SECONDS`: a standby
    that stopped answering after this process's last look would hold the page (the
    middleware then reads it again on the primary)."""
    with _cut_after(context["connection"], settings.RELAIS_REPLICA_QUERY_SECONDS):
        return execute(sql, params, many, context)


def _primary_position() -> tuple[str, str]:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(PRIMARY_POSITION.format(identity=IDENTITY))
        return cursor.fetchone()


def usable() -> bool:
    """Whether reads may go to the replica now: it answered, at most MAX_LAG behind, at
    this process's last look (every CHECK_SECONDS)."""
    with _health_lock:
        if time.monotonic() < _health.until:
            return _health.usable
        lag = lag_seconds()
        ok = lag is not None and lag <= settings.RELAIS_REPLICA_MAX_LAG_SECONDS
        if ok != _health.usable or _health.until == 0.0:
            _say(ok, lag)
        _health.usable, _health.lag = ok, lag
        _health.until = time.monotonic() + (CHECK_SECONDS if ok or lag is not None
                                            else DOWN_SECONDS)
        return ok


def _say(ok: bool, lag: float | None) -> None:
    if ok:
        logger.info("reading from the replica (%.1f s behind)", lag)
    elif lag == math.inf:
        logger.warning("the read replica is not a standby of the primary's database (a copy, "
                       "or another database): reading from the primary")
    elif lag is not None:
        logger.warning("the read replica is %.1f s behind (more than %s): reading from the "
                       "primary", lag, settings.RELAIS_REPLICA_MAX_LAG_SECONDS)


def set_down() -> None:
    """The replica failed under a page: leave it alone for DOWN_SECONDS."""
    with _health_lock:
        _health.usable, _health.lag = False, None
        _health.until = time.monotonic() + DOWN_SECONDS
    _close(connections[REPLICA])


def forget_health() -> None:
    """Look at the replica again at the next request (tests, after changing it)."""
    with _health_lock:
        _health.until, _health.usable, _health.lag = 0.0, False, None


def _close(connection) -> None:
    with suppress(DatabaseError):  # already broken: Django drops it
        connection.close()


def metrics():
    """For /metrics (`RELAIS_METRICS_COLLECTORS`): the replica's lag, asked now."""
    if not configured():
        return
    lag = lag_seconds()
    yield GaugeMetricFamily("relais_replica_up", "1 when the read replica answers.",
                            value=int(lag is not None))
    if lag is not None:
        yield GaugeMetricFamily("relais_replica_lag_seconds",
                                "Seconds the read replica is behind the primary.", value=lag)


# --- pages -------------------------------------------------------------------------------


def pinned(request) -> bool:
    """The browser wrote (sent a POST) within the last RELAIS_REPLICA_PIN_SECONDS."""
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


@lru_cache(maxsize=8)
def _pages(patterns: tuple[str, ...]):
    return re.compile("|".join(fnmatch.translate(p) for p in patterns) or r"(?!)").match


def listed(request) -> bool:
    match = request.resolver_match
    return match is not None and bool(_pages(tuple(settings.RELAIS_REPLICA_PAGES))(
        match.view_name))


class ReplicaMiddleware:
    """Lets a listed page read the replica (see the module's docstring), pins a browser
    that wrote to the primary for a few seconds, and runs a page again on the primary
    when the replica failed under it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not configured():
            return self.get_response(request)
        with _watching(Reading()) as state, _time_limits():
            response = self.get_response(request)
        if request.method not in SAFE_METHODS or state.wrote:
            seconds = settings.RELAIS_REPLICA_PIN_SECONDS
            response.set_cookie(PIN_COOKIE, str(int(time.time()) + seconds), max_age=seconds,
                                httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(self, request, view, args, kwargs):
        state = _reading.get()
        if (state is not None and request.method in SAFE_METHODS and not pinned(request)
                and listed(request) and usable()):
            state.active = True
            request.replica_view = (view, args, kwargs)

    def process_exception(self, request, exception):
        state = _reading.get()
        if (state is None or not state.used or state.wrote
                or not isinstance(exception, DatabaseError)
                or not connections[REPLICA].errors_occurred):
            return None
        logger.warning("the read replica failed under %s (%s): read again from the primary",
                       request.resolver_match.view_name, exception)
        set_down()
        state.active = False
        view, args, kwargs = request.replica_view
        return view(request, *args, **kwargs)
