"""Long-running processes say they are alive: the worker, the ADT listener, its appliers.

Each process keeps one `Heartbeat` row (its kind, host:pid) and moves its `beat_at`
every `EVERY` seconds from a thread of its own, as long as the part of the process that
does the work is alive (`alive()`: the clock's thread, the MLLP server's). A process that
stops cleanly deletes its row; one that is killed leaves a row that grows old. `/readyz`
asks whether the youngest row of a kind is recent (`RELAIS_HEARTBEAT_STALE_SECONDS`); the
metrics show its age and how many processes of each kind beat recently.

Several processes of a kind (workers on other machines) each keep their own row. Rows of
processes gone for a day are deleted when a process of their kind starts.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from relais.core.models import Heartbeat

logger = logging.getLogger("relais.heartbeat")

EVERY = 10  # seconds between two beats
FORGOTTEN_AFTER = timedelta(days=1)
WORKER, ADT_LISTENER, ADT_APPLIER = "worker", "adt-listener", "adt-applier"


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(kind: str, instance: str, *, started_at: datetime, now: datetime | None = None):
    """Record that `instance` of `kind` is alive now (one UPDATE, or an INSERT the first
    time)."""
    now = now or timezone.now()
    if not Heartbeat.objects.filter(kind=kind, instance=instance).update(beat_at=now):
        Heartbeat.objects.create(kind=kind, instance=instance, started_at=started_at,
                                 beat_at=now)


def forget(kind: str, instance: str) -> None:
    Heartbeat.objects.filter(kind=kind, instance=instance).delete()


def forget_gone(kind: str, now: datetime | None = None) -> None:
    """Delete the rows of processes of `kind` that have not beaten for a day."""
    now = now or timezone.now()
    Heartbeat.objects.filter(kind=kind, beat_at__lt=now - FORGOTTEN_AFTER).delete()


def stale_after() -> timedelta:
    return timedelta(seconds=settings.RELAIS_HEARTBEAT_STALE_SECONDS)


def youngest_age(kind: str, now: datetime | None = None) -> float | None:
    """Seconds since any process of `kind` last beat; None if none ever did (or all
    stopped cleanly)."""
    now = now or timezone.now()
    last = Heartbeat.objects.filter(kind=kind).aggregate(last=Max("beat_at"))["last"]
    return None if last is None else max((now - last).total_seconds(), 0.0)


def summary(now: datetime | None = None) -> dict[str, tuple[float, int]]:
    """Per kind: (seconds since the youngest beat, processes that beat recently)."""
    now = now or timezone.now()
    rows = Heartbeat.objects.values("kind").annotate(
        last=Max("beat_at"), alive=Count("pk", filter=Q(beat_at__gte=now - stale_after()))
    ).order_by()
    return {row["kind"]: (max((now - row["last"]).total_seconds(), 0.0), row["alive"])
            for row in rows}


class Beating(threading.Thread):
    """Beats for `kind` every `every` seconds while `alive()` is true; `stop()` deletes
    the row. A beat that fails (the database away) is logged and tried at the next one."""

    def __init__(self, kind: str, alive: Callable[[], bool] = lambda: True, *,
                 every: float = EVERY):
        super().__init__(name=f"relais-heartbeat-{kind}", daemon=True)
        self.kind, self.alive, self.every = kind, alive, every
        self.instance = instance_name()
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            self._quietly(lambda: forget_gone(self.kind))
            while not self.stopping.is_set():
                if self.alive():
                    self._quietly(lambda: beat(self.kind, self.instance,
                                               started_at=self.started_at))
                self.stopping.wait(self.every)
        finally:
            connection.close()

    def _quietly(self, action: Callable[[], object]) -> None:
        close_old_connections()
        try:
            action()
        except DatabaseError:
            logger.warning("heartbeat of %s not recorded: database unavailable", self.kind)
            connection.close()

    def stop(self, wait: float = 5.0) -> None:
        """Stop beating and delete the row, from the calling thread: a process about to
        exit would not wait for this daemon thread to do it."""
        self.stopping.set()
        self.join(timeout=wait)
        self._quietly(lambda: forget(self.kind, self.instance))
