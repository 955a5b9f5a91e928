"""Timed work, run by `relais worker` beside its task queue: no cron.

Features register their jobs from their `AppConfig.ready` (`register("name", every, job)`);
this module knows no feature. The worker calls `run_due()` every `TICK` seconds: each job
whose period has elapsed since it last started is started once, whichever worker comes
first. The start is claimed with a compare-and-set on its `ClockRun` row (update where
`last_run_at` is still the value read), which works alike on SQLite and PostgreSQL; the
worker that loses skips the job until the next period.

The claim only spares work: each job must itself be safe to run twice at once (a job
that takes longer than its period may be started again by the other worker). The jobs
here keep their "once" in the database (unique rows, compare-and-set, skipped locks).
A job that fails is logged and released, so the next tick tries it again.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import OperationalError, close_old_connections, connection
from django.db.models import F
from django.utils import timezone

from relais.core.models import ClockRun

logger = logging.getLogger("relais.clock")

TICK = 15  # seconds between two looks at the clock


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[datetime], int]  # given "now", returns how many items it handled


JOBS: dict[str, Job] = {}


def register(name: str, every: timedelta, job: Callable[[datetime], int]) -> None:
    JOBS[name] = Job(name, every, job)


def run_due(now: datetime | None = None) -> dict[str, int]:
    """Run every registered job that is due at `now`; returns {name: items} of those run."""
    now = now or timezone.now()
    done = {}
    for job in list(JOBS.values()):
        claimed, before = _claim(job, now)
        if not claimed:
            continue
        try:
            done[job.name] = job.run(now)
        except Exception:
            logger.exception("timed job %s failed; tried again at the next tick", job.name)
            _release(job, now, before)
        else:
            if done[job.name]:
                logger.info("timed job %s: %s item(s)", job.name, done[job.name])
    return done


def _periods() -> list[float]:
    """A job due more often than TICK (the audit sealer) sets the pace of the loop."""
    return [job.every.total_seconds() for job in JOBS.values()]


def _claim(job: Job, now: datetime) -> tuple[bool, datetime | None]:
    """Mark the job started at `now` if it is due and nobody marked it since we looked.

    A database that is locked by another writer (SQLite, when another worker claims at
    the same moment) means another caller is at it: this one leaves the job to the next
    tick rather than failing the whole tick, whose other jobs still run."""
    try:
        row, _ = ClockRun.objects.get_or_create(name=job.name)
        before = row.last_run_at
        if before is not None and now - before < job.every:
            return False, before
        changed = ClockRun.objects.filter(pk=row.pk, last_run_at=before).update(
            last_run_at=now, starts=F("starts") + 1)
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        logger.debug("timed job %s: the database is locked by another caller", job.name)
        return False, None
    return changed == 1, before


def _release(job: Job, now: datetime, before: datetime | None) -> None:
    ClockRun.objects.filter(name=job.name, last_run_at=now).update(last_run_at=before)


class Clock(threading.Thread):
    """The loop beside the task queue, in the worker's process: a tick now, then every
    TICK seconds, until `stop()`; a tick that fails is logged and the loop goes on."""

    def __init__(self, tick: float = TICK):
        super().__init__(name="relais-clock", daemon=True)
        self.tick = tick
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    run_due()
                except Exception:
                    logger.exception("the clock's tick failed")
                self.stopping.wait(min([self.tick, *_periods()]))
        finally:
            connection.close()

    def stop(self, wait: float) -> None:
        """Ask the loop to end and give the job it is running `wait` seconds to finish;
        a job cut short loses only its open transaction (jobs commit in chunks)."""
        self.stopping.set()
        self.join(timeout=wait)
