"""`relais audit verify` and `relais audit proof`: checking the sealed batches.

Verification streams: one batch at a time (at most `sealing.MAX_BATCH` leaves), its
events read in chunks of `CHUNK`; memory does not grow with the log. For each batch it
checks the head chain (a forged or removed batch), the root over the sealed leaves, and
each event against the leaf sealed for its id: a changed event, a deleted one (sealed,
now absent), one moved to another id (its content was sealed under another id), one
that was never sealed (inserted afterwards), a second row with the id of a sealed one.

Batches and the events past the last batch are read in keyset pages (by number, by id):
bounded memory also where server-side cursors are off (PgBouncer's transaction pooling
fetches a whole result at once). On PostgreSQL the events are partitioned by month
(`audit.partitions`); a batch's events may lie in two partitions, and verification reads
them through the partitioned table, by id, as it always did. A detached (archived) month
is recorded by an audit event naming its ids: those are counted as archived, not deleted.
"""

import bisect
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from relais.audit import merkle, partitions, sealing
from relais.audit.models import GENESIS_HASH, AuditBatch, AuditEvent

CHUNK = 2000
BATCH_PAGE = 10  # batches read at once (each up to 32 bytes × sealing.MAX_BATCH of leaves)


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
    archived: int = 0  # sealed, then taken out with a detached month (partitions.detach)
    detachments: list = field(default_factory=list)  # "2026-01: N events (event id E)"


class Archived:
    """The ids taken out of the log by detached months, as sorted runs [a, b]."""

    def __init__(self):
        runs, self.detachments = [], []
        for event in partitions.detached():
            detail = event.detail or {}
            runs += [tuple(run) for run in detail.get("ids", [])]
            self.detachments.append(f"{detail.get('month')}: {detail.get('count')} events "
                                    f"in {detail.get('archive')}, detached by event id "
                                    f"{event.pk}")
        self.runs = sorted(runs)
        self.starts = [start for start, _ in self.runs]

    def __contains__(self, pk: int) -> bool:
        at = bisect.bisect_right(self.starts, pk) - 1
        return at >= 0 and self.runs[at][0] <= pk <= self.runs[at][1]


def verify_batches(summary: Summary | None = None, *, chunk: int = CHUNK):
    """Yield a Problem for every sign of tampering; fill `summary` as it goes."""
    summary = summary if summary is not None else Summary()
    previous, pending = None, {}  # events found in a gap: {id: (batch, sealed, written)}
    archived = Archived()
    summary.detachments = archived.detachments
    for batch in _batches():
        yield from _check_batch(batch, previous, pending, chunk, archived, summary)
        summary.batches, summary.sealed, summary.head = (
            summary.batches + 1, summary.sealed + batch.count, batch.head)
        previous = batch
    yield from _check_pending(pending, summary)
    yield from _check_unsealed(previous.last_id if previous else 0, summary, chunk)


def _batches(page: int = BATCH_PAGE):
    """Every batch in number order, `page` at a time (keyset: no cursor kept open)."""
    after = 0
    while True:
        batches = list(AuditBatch.objects.filter(number__gt=after).order_by("number")[:page])
        yield from batches
        if len(batches) < page:
            return
        after = batches[-1].number


def _check_batch(batch, previous, pending, chunk, archived, summary):
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
                             name, chunk, archived, summary)


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


def _check_events(batch, sealed: dict[int, bytes], pending, name, chunk, archived,
                  summary):
    by_leaf = None  # built only when an event does not match its leaf
    seen = set()
    for rows in _by_id(_events_of(batch, chunk)):
        pk = rows[0].pk
        seen.add(pk)
        if pk in batch.late:
            pending.pop(pk, None)
        if pk not in sealed:
            # In a gap: a later batch may seal it.
            pending[pk] = (batch.number, batch.sealed_at, rows[0].occurred_at)
            continue
        leaves = [bytes.fromhex(event.leaf_hash()) for event in rows]
        if len(rows) > 1:
            # Two rows with one id (the database cannot refuse it: a partitioned table's
            # keys hold the month): the one that matches the seal is the sealed event.
            extra = len(rows) - (1 if sealed[pk] in leaves else 0)
            yield Problem(f"event id {pk}: {len(rows)} rows have this id; {extra} of them "
                          f"{name} did not seal (inserted afterwards)")
            continue
        leaf = leaves[0]
        if leaf == sealed[pk]:
            continue
        by_leaf = by_leaf or {value: pk for pk, value in sealed.items()}
        if leaf in by_leaf:
            yield Problem(f"event id {pk}: out of order: it holds what {name} sealed "
                          f"as event id {by_leaf[leaf]}")
        else:
            yield Problem(f"event id {pk}: content was changed after {name} sealed it")
    for pk in sorted(set(sealed) - seen):
        if pk in archived:
            summary.archived += 1
            continue
        yield Problem(f"event id {pk}: deleted: {name} sealed it and it is gone")


def _by_id(events):
    """The events (in id order) grouped by id: one row each, unless one was added."""
    group = []
    for event in events:
        if group and event.pk != group[0].pk:
            yield group
            group = []
        group.append(event)
    if group:
        yield group


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
    for event in _pages(AuditEvent.objects.filter(id__gt=after), chunk):
        summary.unsealed += 1
        if summary.oldest_unsealed is None or event.occurred_at < summary.oldest_unsealed:
            summary.oldest_unsealed = event.occurred_at
        if event.hash != event.leaf_hash():
            yield Problem(f"event id {event.pk} (not sealed yet): content was changed "
                          "after it was written")


def _pages(events, chunk: int):
    """The events in id order, `chunk` at a time (keyset on (id, occurred_at), the
    partitioned table's key: a repeated id is not skipped)."""
    last = None
    while True:
        page = events if last is None else events.filter(
            Q(id__gt=last.pk) | Q(id=last.pk, occurred_at__gt=last.occurred_at))
        rows = list(page.order_by("id", "occurred_at")[:chunk])
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1]


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
