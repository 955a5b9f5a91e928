"""The chunks the worker's timed work takes (`escalation.py`, `reminders.py`): in the
order of their owner, then of their key, each taken and told in one transaction.

Each chunk is told with `notifications.services.notify_many`, which asks the gate once
per recipient: a chunk that holds the rows of a few owners asks it a few times, where
rows in key order would each have another owner. The next chunk starts after the last
row's (owner, key), a range the owner's index finds at once however many rows came
before; the rows without an owner come last, in key order.
"""

from collections.abc import Callable, Iterator

from django.db import connection, transaction
from django.db.models import Q, QuerySet

# SQLite has one writer at a time: a chunk holds the web's writes back while it runs, so
# it is kept short there (the web waits 20 s at most).
SQLITE_CHUNK = 100
START = (0, 0)  # before every owner (keys start at 1)
UNOWNED = (None, 0)  # before the rows without an owner


def each(select: Callable[[Q], list]) -> Iterator[list]:
    """The chunks `select(after)` returns, one after the other until none is left; each
    is yielded inside its transaction (the rows `select` locked stay locked while the
    caller tells them)."""
    key = START
    while key is not None:
        with transaction.atomic():
            chunk = select(_after(key))
            if chunk:
                key = (chunk[-1].owner_id, chunk[-1].pk)
                yield chunk
            else:
                key = UNOWNED if key[0] is not None else None


def _after(key: tuple[int | None, int]) -> Q:
    owner, pk = key
    if owner is None:
        return Q(owner__isnull=True, pk__gt=pk)
    return Q(owner__gte=owner) & (Q(owner__gt=owner) | Q(pk__gt=pk))


def ordered(queryset: QuerySet) -> QuerySet:
    return queryset.order_by("owner_id", "pk")


def size(chunk: int) -> int:
    return min(chunk, SQLITE_CHUNK) if connection.vendor == "sqlite" else chunk
