"""Writing and verifying the audit log.

Services call `record(...)` explicitly, inside their own transaction, so an event exists
exactly when the change does. Denied attempts are recorded outside any transaction so
they survive the error response.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from relais.audit.models import GENESIS_HASH, AuditEvent, Outcome
from relais.core import requestcontext

# An arbitrary constant naming the PostgreSQL advisory lock that serialises the chain.
CHAIN_LOCK_ID = 7_246_110_001


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


def _lock_chain() -> None:
    # SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL needs a lock so
    # two concurrent events cannot both claim the same predecessor.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_ID])


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
    """Append one event to the chain; request id and IP come from the request context."""
    if target is not None:
        target_type, target_id = target_of(target)
    context = requestcontext.current()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=actor,
        actor_label=str(actor.email) if actor else "",
        organisation=organisation or context.organisation,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        person_id=person_id,
        purpose=purpose,
        break_glass=break_glass,
        request_id=context.request_id,
        ip_address=context.ip_address,
        outcome=outcome,
        detail=detail or {},
    )
    gathering = getattr(_gathered, "events", None)
    if gathering is not None:
        gathering.append(event)  # chained and written when the gathering block ends
        return event
    with transaction.atomic():
        _append([event])
    return event


_gathered = threading.local()


@contextmanager
def gathered():
    """Events recorded inside are appended to the chain together when the block ends:
    one lock, one read of the chain's head and one insert, instead of those per event.
    Use it inside the transaction that makes the changes, as its last step (the chain's
    lock is then held only until the commit). If the block fails, its events are dropped
    with the changes they describe. Nested blocks write with the outermost."""
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
    """Chain the events after the current head, in order, and insert them."""
    _lock_chain()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = prev_hash = event.compute_hash()
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


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    event_id: int
    message: str

    def __str__(self) -> str:
        return f"event #{self.seq} (id {self.event_id}): {self.message}"


def verify_chain() -> Iterator[ChainProblem]:
    """Walk the log in order and report every changed, missing or misplaced event."""
    expected_prev, expected_seq, seen = GENESIS_HASH, 1, {GENESIS_HASH: 0}
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        yield from _check_event(event, expected_prev, expected_seq, seen)
        _remember(seen, event)
        expected_prev, expected_seq = event.hash, event.seq + 1


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
    """Count and last hash: keep them outside Relais to detect a truncated tail."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return last if last else (0, GENESIS_HASH)
