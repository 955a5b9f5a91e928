"""Watch check-ins that are due (issue 13): the owner is told once per due date.

A job of the worker's clock (`core.clock`, every 15 minutes). The notification itself
is the record that the owner was told for this date (its target is the watch, its
`due_on` parameter the date): a watch is told when no such notification exists. Two
workers do not both tell: on PostgreSQL each chunk of watches is locked with SKIP
LOCKED for the transaction that tells, and looked at again once locked (a new statement
sees what the other worker committed before it let go of the row); SQLite runs one
writing transaction at a time (IMMEDIATE), which makes look-then-tell atomic there.
"""

from datetime import datetime

from django.db import connection
from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from relais.audit import log as audit
from relais.followup import chunks
from relais.followup.models import Watch
from relais.followup.notices_timed import WATCH_DUE
from relais.notifications.models import Notification
from relais.notifications.services import News, notify_many

CHUNK = 1_000  # on SQLite, chunks.SQLITE_CHUNK
WATCH_LABEL = "followup.watch"


def remind_due_watches(now: datetime) -> int:
    """Tell the owner of each running watch whose check-in is due today or before, once
    for its current due date; returns how many owners were told."""
    today = timezone.localdate(now)
    return sum(_remind(chunk) for chunk in chunks.each(lambda after: _next_chunk(today, after)))


def _told(**lookups):
    return (Notification.objects.filter(kind=WATCH_DUE, target_type=WATCH_LABEL, **lookups)
            .annotate(due_on=KT("params__due_on")))


def _next_chunk(today, after: Q) -> list[Watch]:
    already = _told(target_id=OuterRef("pk")).filter(
        due_on=Cast(OuterRef("next_check_on"), CharField()))
    due = (Watch.objects.filter(after, ended_at__isnull=True,
                                next_check_on__lte=today)
           .filter(~Exists(already)))
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(chunks.ordered(due).select_related("owner", "person")
                [:chunks.size(CHUNK)])


def _already_told(watches: list[Watch]) -> set[tuple[int, str]]:
    """(watch, due date) pairs told by now, read after the chunk was locked."""
    told = _told(target_id__in=[watch.pk for watch in watches]).values_list("target_id",
                                                                           "due_on")
    return set(told)


def _remind(chunk: list[Watch]) -> int:
    """Tell the owners of the chunk's watches not told yet for their date; one audit event
    per owner told."""
    done = _already_told(chunk)
    due = [watch for watch in chunk if (watch.pk, _due_on(watch)) not in done]
    written = notify_many(WATCH_DUE, [News(watch.owner, watch.person, watch,
                                           {"due_on": _due_on(watch)}) for watch in due])
    told = [watch for watch, notification in zip(due, written, strict=True) if notification]
    with audit.gathered():  # one append to the audit chain per chunk
        for watch in told:
            audit.record("followup.watch.remind", target=watch, person_id=watch.person_id,
                         detail={"due_on": _due_on(watch), "told": [watch.owner_id]})
    return len(told)


def _due_on(watch: Watch) -> str:
    return watch.next_check_on.isoformat()
