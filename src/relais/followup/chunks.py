"""The chunks the worker's timed work takes (`escalation.py`, `reminders.py`), in the
order of their owner, then of their key.

Each chunk is told with `notifications.services.notify_many`, which asks the gate once
per recipient: a chunk that holds the rows of a few owners asks it a few times, where
rows in key order would each have another owner. The next chunk starts after the last
row's (owner, key); rows without an owner come last.
"""

from django.db import connection
from django.db.models import F, Q, QuerySet

# SQLite has one writer at a time: a chunk holds the web's writes back while it runs, so
# it is kept short there (the web waits 20 s at most).
SQLITE_CHUNK = 100
START = (0, 0)  # before every owner (keys start at 1)


def after(key: tuple[int | None, int]) -> Q:
    """The rows after the row whose (owner, key) is `key`, in `ordered`'s order."""
    owner, pk = key
    if owner is None:
        return Q(owner__isnull=True, pk__gt=pk)
    return Q(owner__gt=owner) | Q(owner=owner, pk__gt=pk) | Q(owner__isnull=True)


def ordered(queryset: QuerySet) -> QuerySet:
    return queryset.order_by(F("owner").asc(nulls_last=True), "pk")


def key_of(row) -> tuple[int | None, int]:
    return row.owner_id, row.pk


def size(chunk: int) -> int:
    return min(chunk, SQLITE_CHUNK) if connection.vendor == "sqlite" else chunk
