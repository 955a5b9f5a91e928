"""`relais audit verify` and `relais audit proof`: checking the sealed batches.

Verification streams: one batch at a time (at most `sealing.MAX_BATCH` leaves), its
events read in chunks of `CHUNK`; memory does not grow with the log. For each batch it
checks the head chain (a forged or removed batch), the root over the sealed leaves, and
each event against the leaf sealed for its id: a changed event, a deleted one (sealed,
now absent), one moved to another id (its content was sealed under another id), one
that was never sealed (inserted afterwards).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from relais.audit import merkle, sealing
from relais.audit.models import GENESIS_HASH, AuditBatch, AuditEvent

CHUNK = 2000


@dataclass(frozen=True)
class Problem:
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Summary:
    batches: int = 0
    sealed: int = 0
    head: str = GENESIS_HASH
    unsealed: int = 0
    oldest_unsealed: datetime | None = None


def verify_batches(summary: Summary | None = None, *, chunk: int = CHUNK):
    """Yield a Problem for every sign of tampering; fill `summary` as it goes."""
    summary = summary if summary is not None else Summary()
    previous, pending = None, {}  # events found in a gap: {id: (batch, sealed, written)}
    for batch in AuditBatch.objects.order_by("number").iterator(chunk_size=50):
        yield from _check_batch(batch, previous, pending, chunk)
        summary.batches, summary.sealed, summary.head = (
            summary.batches + 1, summary.sealed + batch.count, batch.head)
        previous = batch
    yield from _check_pending(pending, summary)
    yield from _check_unsealed(previous.last_id if previous else 0, summary, chunk)


def _check_batch(batch, previous, pending, chunk):
    name = f"batch #{batch.number} (events {batch.first_id}–{batch.last_id})"
    yield from _check_head(batch, previous, name)
    leaves = batch.leaf_list()
    if merkle.root(leaves).hex() != batch.root or len(leaves) != batch.count:
        yield Problem(f"{name}: forged: its leaves do not give its root")
        return
    members = _member_ids(batch)
    if len(members) != len(leaves):
        yield Problem(f"{name}: forged: it seals {len(leaves)} leaves for {len(members)} ids")
        return
    yield from _check_events(batch, dict(zip(members, leaves, strict=True)), pending,
                             name, chunk)


def _check_head(batch, previous, name):
    if batch.compute_head() != batch.head:
        yield Problem(f"{name}: forged: its head does not match what it states")
    expected_prev = previous.head if previous else GENESIS_HASH
    expected_first = previous.last_id + 1 if previous else 1
    expected_number = previous.number + 1 if previous else 1
    if batch.prev_head != expected_prev or batch.number != expected_number:
        yield Problem(f"{name}: the head chain is broken: it does not follow the batch "
                      "before it (a batch was forged or removed)")
    elif batch.first_id != expected_first and batch.first_id > expected_first:
        yield Problem(f"{name}: events {expected_first}–{batch.first_id - 1} are in no batch")


def _member_ids(batch) -> list[int]:
    """The ids the batch sealed, in leaf order: its late ones, then its range less gaps."""
    members, start = sorted(batch.late), batch.first_id
    for gap_start, gap_end in [*batch.gaps, [batch.last_id + 1, batch.last_id + 1]]:
        members.extend(range(start, gap_start))
        start = gap_end + 1
    return members


def _check_events(batch, sealed: dict[int, bytes], pending, name, chunk):
    by_leaf = None  # built only when an event does not match its leaf
    seen = set()
    for event in _events_of(batch, chunk):
        seen.add(event.pk)
        if event.pk in batch.late:
            pending.pop(event.pk, None)
        if event.pk not in sealed:
            # In a gap: a later batch may seal it.
            pending[event.pk] = (batch.number, batch.sealed_at, event.occurred_at)
            continue
        leaf = bytes.fromhex(event.leaf_hash())
        if leaf == sealed[event.pk]:
            continue
        by_leaf = by_leaf or {value: pk for pk, value in sealed.items()}
        if leaf in by_leaf:
            yield Problem(f"event id {event.pk}: out of order: it holds what {name} sealed "
                          f"as event id {by_leaf[leaf]}")
        else:
            yield Problem(f"event id {event.pk}: content was changed after {name} sealed it")
    for pk in sorted(set(sealed) - seen):
        yield Problem(f"event id {pk}: deleted: {name} sealed it and it is gone")


def _events_of(batch, chunk):
    condition = Q(id__range=(batch.first_id, batch.last_id))
    if batch.late:
        condition |= Q(id__in=batch.late)
    return AuditEvent.objects.filter(condition).order_by("id").iterator(chunk_size=chunk)


def _check_pending(pending, summary: Summary):
    """Events found in a batch's gap and sealed by no later batch: the sealer still seals
    them while the batch is younger than LATE_WINDOW; after that nobody will."""
    window_start = timezone.now() - sealing.LATE_WINDOW
    for pk, (number, sealed_at, occurred_at) in sorted(pending.items()):
        if sealed_at >= window_start:
            summary.unsealed += 1
            if summary.oldest_unsealed is None or occurred_at < summary.oldest_unsealed:
                summary.oldest_unsealed = occurred_at
            continue
        yield Problem(f"event id {pk}: in the range of batch #{number} but never "
                      "sealed (inserted afterwards, or committed too late to be sealed)")


def _check_unsealed(after: int, summary: Summary, chunk: int):
    """Events past the last batch: changed since written, and the alarm when the
    sealer is late."""
    for event in AuditEvent.objects.filter(id__gt=after).order_by("id").iterator(chunk):
        summary.unsealed += 1
        if summary.oldest_unsealed is None or event.occurred_at < summary.oldest_unsealed:
            summary.oldest_unsealed = event.occurred_at
        if event.hash != event.leaf_hash():
            yield Problem(f"event id {event.pk} (not sealed yet): content was changed "
                          "after it was written")


def sealer_is_late(summary: Summary, now=None) -> bool:
    now = now or timezone.now()
    return (summary.oldest_unsealed is not None
            and now - summary.oldest_unsealed > sealing.SEALING_DELAY)


# --- inclusion proofs -------------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    event_id: int
    batch: AuditBatch
    index: int
    leaf: bytes
    path: list[bytes]
    root: bytes | None  # where the path leads from the event's content as it is now

    @property
    def holds(self) -> bool:
        return self.root is not None and self.root.hex() == self.batch.root and (
            self.batch.compute_head() == self.batch.head)


def batch_of(event_id: int) -> AuditBatch | None:
    """The batch that sealed the event: the one whose range holds it (outside its gaps),
    or one that sealed it late."""
    batch = AuditBatch.objects.filter(first_id__lte=event_id, last_id__gte=event_id).first()
    if batch is not None and event_id in _member_ids(batch):
        return batch
    late = AuditBatch.objects.filter(number__gt=batch.number if batch else 0).exclude(late=[])
    return next((b for b in late.iterator(chunk_size=50) if event_id in b.late), None)


def proof_for(event: AuditEvent) -> Proof | None:
    """The audit path from the event's leaf to its batch's root (RFC 9162 2.1.3)."""
    batch = batch_of(event.pk)
    if batch is None:
        return None
    index = _member_ids(batch).index(event.pk)
    leaves = batch.leaf_list()
    path = merkle.audit_path(index, leaves)
    leaf = bytes.fromhex(event.leaf_hash())
    return Proof(event.pk, batch, index, leaf, path,
                 merkle.root_from_path(index, len(leaves), leaf, path))
