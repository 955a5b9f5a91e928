"""The sealer: every few seconds, the committed events not sealed yet become a batch.

A batch takes the ids after the last batch's, up to a safe point, hashes their leaf
hashes into a Merkle tree (RFC 9162) and stores the root with a head that chains it to
the batch before (`AuditBatch.compute_head`).

The safe point. Writers take ids from the table's sequence without waiting for each
other, so an id can be taken by a transaction that has not committed yet while higher
ids are committed. The sealer seals only up to the highest id among the events written
at least `GRACE` ago: a request's reads and most changes commit within milliseconds of
their insert. An id in the range with no committed event is recorded in the batch's
`gaps` (a rolled-back transaction leaves one for ever); if a gap's event commits later
(a transaction open longer than the grace), the next run seals it in `late`, as long as
its batch is younger than `LATE_WINDOW`. So every id is sealed exactly once, or is a gap
that verification can tell from a deletion: a deleted event is one the batch sealed.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from relais.audit import merkle
from relais.audit.models import GENESIS_HASH, AuditBatch, AuditEvent
from relais.core import clock

EVERY = timedelta(seconds=2)  # how often the worker's clock runs the sealer


def register() -> None:
    """The sealer as a job of the worker's clock (called when the app is ready)."""
    clock.register("audit.seal", EVERY, lambda now: seal())
GRACE = timedelta(seconds=1)  # how long after its insert an event is sealed
SEALING_DELAY = timedelta(seconds=5)  # promised: an event older than this is sealed
LATE_WINDOW = timedelta(hours=1)  # how long a gap may still fill with a late commit
MAX_BATCH = 10_000  # events per batch: what verification holds in memory at once


def seal(now=None, *, grace: timedelta = GRACE) -> int:
    """Seal what is safe to seal, in batches; returns how many events were sealed."""
    now = now or timezone.now()
    sealed = 0
    while (count := _seal_one(now, grace)) is not None:
        sealed += count
    return sealed


@transaction.atomic
def _seal_one(now, grace) -> int | None:
    last = AuditBatch.objects.order_by("-number").first()
    after = last.last_id if last else 0  # ids before the first event are a gap run
    safe = (AuditEvent.objects.filter(id__gt=after, occurred_at__lte=now - grace)
            .aggregate(safe=Max("id"))["safe"])
    rows = _rows(Q(id__gt=after, id__lte=safe or after), limit=MAX_BATCH)
    late = _late_rows(now)
    if not rows and not late:
        return None
    # Without new events the range is empty (last_id = first_id - 1): a batch of late ones.
    _store_batch(last, after + 1, rows[-1][0] if rows else after, late + rows, now)
    return len(late) + len(rows)


def _rows(condition: Q, limit: int | None = None) -> list[tuple[int, str]]:
    """(id, leaf hash) in id order: the hash written with the event (so a change made
    before the seal still shows); the events of the hash chain, written before leaf
    hashes, get theirs from their content, which the chain protects."""
    events = AuditEvent.objects.filter(condition).order_by("id")[:limit]
    if not AuditEvent.objects.filter(condition, seq__isnull=False).exists():
        return list(events.values_list("id", "hash"))
    return [(event.pk, event.leaf_hash() if event.is_chained else event.hash)
            for event in events]


def _late_rows(now) -> list:
    """Events committed in an earlier batch's gap since that batch was sealed."""
    recent = AuditBatch.objects.filter(sealed_at__gte=now - LATE_WINDOW).exclude(
        gaps=[], late=[])
    gaps, already = Q(), set()
    for batch in recent.only("gaps", "late"):
        for start, end in batch.gaps:
            gaps |= Q(id__range=(start, end))
        already.update(batch.late)
    if not gaps:  # an empty Q: no batch has gaps
        return []
    return [row for row in _rows(gaps) if row[0] not in already]


def _store_batch(last, first_id, last_id, rows, now) -> AuditBatch:
    ids = [pk for pk, _ in rows]
    leaves = [bytes.fromhex(leaf) for _, leaf in rows]
    batch = AuditBatch(
        number=(last.number + 1) if last else 1, first_id=first_id, last_id=last_id,
        gaps=gap_runs(first_id, last_id, [pk for pk in ids if pk >= first_id]),
        late=[pk for pk in ids if pk < first_id], count=len(rows), leaves=b"".join(leaves),
        root=merkle.root(leaves).hex(), prev_head=last.head if last else GENESIS_HASH,
        sealed_at=now)
    batch.head = batch.compute_head()
    batch.save()
    return batch


def gap_runs(first_id: int, last_id: int, ids: list[int]) -> list[list[int]]:
    """The runs [a, b] of ids in first_id–last_id that are not in `ids` (sorted)."""
    runs, expected = [], first_id
    for pk in [*ids, last_id + 1]:
        if pk > expected:
            runs.append([expected, pk - 1])
        expected = pk + 1
    return runs


def unsealed_since(now=None):
    """Events past the last batch that are older than the sealing delay: an alarm."""
    now = now or timezone.now()
    last_id = AuditBatch.objects.aggregate(last=Max("last_id"))["last"] or 0
    return AuditEvent.objects.filter(id__gt=last_id, occurred_at__lt=now - SEALING_DELAY)
