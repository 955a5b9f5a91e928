"""Writing the audit log, and verifying the hash chain of its oldest events.

Services call `record(...)` explicitly, inside their own transaction, so an event exists
exactly when the change does. Denied attempts are recorded outside any transaction so
they survive the error response. Reads of person data (`record_read`) made while a
request is served are gathered and written once, when the request ends
(`reads_gathered`, run by `relais.audit.middleware`).

An event is one INSERT carrying its own leaf hash: no lock, no read of a head. The sealer
(`relais.audit.sealing`) later seals the committed events into Merkle batches, and
`relais.audit.verification` checks them (docs/audit.md).
"""

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from relais.audit.models import GENESIS_HASH, AuditEvent, Outcome
from relais.core import requestcontext


class Actions:
    """Event names, dotted `object.verb`; one place so reports and filters agree."""

    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    PASSWORD_RESET_REQUESTED = "auth.password_reset_requested"
    PASSWORD_CHANGED = "auth.password_changed"
    TWO_FACTOR_ENABLED = "auth.two_factor_enabled"
    TWO_FACTOR_DISABLED = "auth.two_factor_disabled"
    BACKUP_CODES_REGENERATED = "auth.backup_codes_regenerated"
    PROFILE_CHANGED = "user.change"
    ORGANISATION_CREATED = "organisation.create"
    ORGANISATION_CHANGED = "organisation.change"
    WARD_CREATED = "ward.create"
    WARD_CHANGED = "ward.change"
    MEMBERSHIP_CREATED = "membership.create"
    MEMBERSHIP_ENDED = "membership.end"
    ACCESS_DENIED = "access.denied"
    ADMIN_CHANGE = "admin.change"


def target_of(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record(
    action: str,
    *,
    actor=None,
    organisation=None,
    target=None,
    target_type: str = "",
    target_id: str = "",
    person_id: int | None = None,
    purpose: str = "",
    break_glass: bool = False,
    outcome: str = Outcome.SUCCESS,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event; request id and IP come from the request context."""
    event = _event(action, actor=actor, organisation=organisation, target=target,
                   target_type=target_type, target_id=target_id, person_id=person_id,
                   purpose=purpose, break_glass=break_glass, outcome=outcome, detail=detail)
    gathering = getattr(_gathered, "events", None)
    if gathering is not None:
        gathering.append(event)  # written when the gathering block ends
        return event
    _append([event])
    return event


def _event(action, *, actor, organisation, target, target_type, target_id, person_id,
           purpose, break_glass, outcome, detail) -> AuditEvent:
    if target is not None:
        target_type, target_id = target_of(target)
    context = requestcontext.current()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    organisation = organisation or context.organisation
    # The fields in the model's order, by their columns' values: Django's own fast way
    # (as for rows read), a third of building it by names through the relations.
    return AuditEvent(
        None, None, timezone.now(),
        actor.pk if actor else None, str(actor.email) if actor else "",
        organisation.pk if organisation else None,
        action, target_type, str(target_id)[:64], person_id, purpose, break_glass,
        context.request_id, context.ip_address, outcome, detail or {}, "", "",
    )


def record_read(action: str, *, actor, target=None, person_id: int | None = None,
                detail: dict | None = None, persons=()) -> None:
    """A read of person data: written at once, or, while a request gathers its reads,
    folded into one event per kind of read and person, written when the request ends."""
    reads = getattr(_reads, "gathering", None)
    if reads is None:
        record(action, actor=actor, target=target, person_id=person_id,
               detail=_read_detail(detail, persons))
        return
    event = _event(action, actor=actor, organisation=None, target=target, target_type="",
                   target_id="", person_id=person_id, purpose="", break_glass=False,
                   outcome=Outcome.SUCCESS, detail=detail)
    reads.add(event, persons)


def _read_detail(detail, persons) -> dict:
    if not persons:
        return detail or {}
    shown = sorted(set(persons))
    return {**(detail or {}), "persons": shown[:500], "count": len(shown)}


class _Reads:
    """The reads of one request, grouped by what `who looked` counts: kind and person."""

    def __init__(self):
        self.groups: dict[tuple, tuple[AuditEvent, list, set]] = {}

    def add(self, event: AuditEvent, persons) -> None:
        key = (event.action, event.person_id, event.actor_id, event.organisation_id)
        if key not in self.groups:
            self.groups[key] = (event, [], set())
        _, objects, shown = self.groups[key]
        if event.target_type:
            objects.append((event.target_type, event.target_id, event.detail))
        shown.update(persons)

    def events(self) -> list[AuditEvent]:
        return [_folded(event, objects, shown) for event, objects, shown in self.groups.values()]


def _folded(event: AuditEvent, objects: list, shown: set) -> AuditEvent:
    """One event for a group: one object read reads as before; several are listed."""
    distinct = list(dict.fromkeys((kind, pk) for kind, pk, _ in objects))
    if len(distinct) == 1:
        event.target_type, event.target_id = distinct[0]
        event.detail = objects[0][2] or {}
    elif distinct:
        kinds = {kind for kind, _ in distinct}
        event.target_type, event.target_id = (kinds.pop() if len(kinds) == 1 else ""), ""
        event.detail = {"objects": [f"{kind}:{pk}" for kind, pk in distinct][:500],
                        "for": sorted({str((d or {}).get("for", "")) for _, _, d in objects})}
    if shown:
        event.detail = _read_detail(event.detail, shown)
    return event


_reads = threading.local()


@contextmanager
def reads_gathered():
    """Reads recorded inside are written when the block ends, in one INSERT, even if the
    block fails: what was read before an error was read. Nested blocks write with the
    outermost."""
    if getattr(_reads, "gathering", None) is not None:
        yield
        return
    _reads.gathering = _Reads()
    try:
        yield
    finally:
        gathering, _reads.gathering = _reads.gathering, None
        events = gathering.events()
        if events:
            _append_reads(events)


def write_gathered_reads() -> None:
    """Write the request's reads so far, now: for a page that shows the log itself ("who
    looked at my record" lists this very read). Later reads gather again."""
    gathering = getattr(_reads, "gathering", None)
    if gathering is not None and gathering.groups:
        events, _reads.gathering = gathering.events(), _Reads()
        _append_reads(events)


def _append_reads(events: list[AuditEvent]) -> None:
    """On PostgreSQL, outside any other transaction, the reads' event commits without
    waiting for the disk (settings.AUDIT_READS_ASYNC_COMMIT, docs/audit.md): a commit
    that waits costs a disk flush per request, the ceiling of audited reads."""
    real = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is asked for every value
    if (real.vendor != "postgresql" or real.in_atomic_block
            or not settings.AUDIT_READS_ASYNC_COMMIT):
        _append(events)
        return
    columns, statement = _insert_statement(len(events))
    params = []
    detail = columns.index("detail")
    for event in events:
        event.hash = event.leaf_hash()
        row = [getattr(event, name) for name in columns]
        row[detail] = Jsonb(event.detail)
        params += row
    # psycopg's own cursor, not Django's wrapper around it: the wrapper and its execute
    # hooks were a quarter of a read's cost to its process (bench/audit_chain.py), and no
    # hook has anything to do with the log (the gate's and the replica's ignore audit
    # writes). Errors still come as Django's (a broken connection is marked for Django's
    # health check at the next request). The connection's cursors send the values apart
    # from the SQL (settings.py), so this statement is prepared at its fifth use on a
    # connection: parsed and planned once per connection, not per request (not behind
    # PgBouncer: nothing is prepared there).
    with real.wrap_database_errors:
        _kept_cursor(real).execute(statement, params)


def _kept_cursor(real):
    """A psycopg cursor kept for the audit's INSERTs on this connection (one per thread,
    as Django's connections are), made again when Django has opened a new connection."""
    real.ensure_connection()
    cursor = getattr(real, "_relais_audit_cursor", None)
    if cursor is None or cursor.connection is not real.connection or cursor.closed:
        cursor = real._relais_audit_cursor = real.connection.cursor()
    return cursor


@functools.lru_cache(maxsize=64)
def _insert_statement(rows: int) -> tuple[tuple[str, ...], str]:
    """The attribute names of the columns and the PostgreSQL of an INSERT of `rows`
    events, written once per size (a request writes one event, or a few). The values go
    as they are: the values are sent apart from the SQL and PostgreSQL takes each as its
    column's type (a text for the address's inet); the detail goes as JSONB."""
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = tuple(f.attname for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    # One statement, so that it can be prepared: the INSERT runs in its own implicit
    # transaction, and set_config(..., true) in its RETURNING turns synchronous_commit off
    # for that transaction only, whose commit then does not wait for the disk.
    # Names from the model, values bound: nothing here comes from a user.
    return columns, (f"INSERT INTO {AuditEvent._meta.db_table} ({names}) "  # noqa: S608
                     f"VALUES {', '.join([row] * rows)} "
                     "RETURNING set_config('synchronous_commit', 'off', true)")


_gathered = threading.local()


@contextmanager
def gathered():
    """Events recorded inside are written together when the block ends, in one INSERT.
    Use it inside the transaction that makes the changes. If the block fails, its events
    are dropped with the changes they describe. Nested blocks write with the outermost."""
    if getattr(_gathered, "events", None) is not None:
        yield
        return
    _gathered.events = []
    try:
        yield
        events, _gathered.events = _gathered.events, None
        if events:
            _append(events)
    finally:
        _gathered.events = None


@contextmanager
def savepoint():
    """`transaction.atomic()` for a part that may fail while the rest carries on: when it
    is rolled back, the events it gathered go with it."""
    events = getattr(_gathered, "events", None)
    mark = len(events) if events is not None else 0
    try:
        with transaction.atomic():
            yield
    except BaseException:
        if events is not None:
            del events[mark:]
        raise


def _append(events: list[AuditEvent]) -> None:
    """Insert the events, each with its leaf hash: one statement, no lock. The database
    gives the ids, in order; the sealer seals them later."""
    for event in events:
        event.hash = event.leaf_hash()
    if len(events) == 1:
        events[0].save()
    else:
        AuditEvent.objects.bulk_create(events)


def changes(instance, fields: list[str], before: dict) -> dict:
    """Before/after values of the fields that changed, for an event's detail."""
    after = {name: getattr(instance, name) for name in fields}
    return {
        name: {"before": str(before[name]), "after": str(after[name])}
        for name in fields
        if before[name] != after[name]
    }


# --- the events written before batches: a hash chain, verified as it always was --------


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    event_id: int
    message: str

    def __str__(self) -> str:
        return f"event #{self.seq} (id {self.event_id}): {self.message}"


def verify_chain() -> Iterator[ChainProblem]:
    """Walk the chained events in order; report every changed, missing or misplaced one."""
    expected_prev, expected_seq, seen = GENESIS_HASH, 1, {GENESIS_HASH: 0}
    for event in _chained_pages():
        yield from _check_event(event, expected_prev, expected_seq, seen)
        _remember(seen, event)
        expected_prev, expected_seq = event.hash, event.seq + 1


def _chained_pages(size: int = 2000) -> Iterator[AuditEvent]:
    """The chained events in seq order, `size` at a time (keyset on (seq, id): bounded
    memory also without server-side cursors, as behind PgBouncer)."""
    chained, last = AuditEvent.objects.filter(seq__isnull=False), None
    while True:
        page = chained if last is None else chained.filter(
            models.Q(seq__gt=last.seq) | models.Q(seq=last.seq, id__gt=last.pk))
        events = list(page.order_by("seq", "id")[:size])
        yield from events
        if len(events) < size:
            return
        last = events[-1]


SEEN_WINDOW = 10_000


def _remember(seen: dict, event) -> None:
    # Only recent hashes are needed to name where a misplaced event belongs.
    seen[event.hash] = event.seq
    if len(seen) > SEEN_WINDOW:
        seen.pop(next(iter(seen)))


def _check_event(event, expected_prev, expected_seq, seen) -> Iterator[ChainProblem]:
    if event.compute_hash() != event.hash:
        yield ChainProblem(event.seq, event.pk, "content was changed after it was written")
    if event.seq != expected_seq:
        missing = f"#{expected_seq}" if event.seq == expected_seq + 1 else (
            f"#{expected_seq}–#{event.seq - 1}"
        )
        yield ChainProblem(event.seq, event.pk, f"events {missing} are missing (deleted)")
    elif event.prev_hash != expected_prev:
        yield ChainProblem(event.seq, event.pk, _misplaced_message(event, seen))


def _misplaced_message(event, seen) -> str:
    if event.prev_hash in seen:
        return f"out of order: it was written right after event #{seen[event.prev_hash]}"
    return "out of order or the event written before it was deleted"


def chain_head() -> tuple[int, str]:
    """Count and last hash of the chained events."""
    last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq")
    last = last.values_list("seq", "hash").first()
    return last if last else (0, GENESIS_HASH)
