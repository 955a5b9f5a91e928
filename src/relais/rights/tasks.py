"""The retention policy's daily sweep, run by `relais worker` (django-tasks, database
queue).

The clock only hands the sweep to the task queue: anonymising is about 50 ms a record
(bench/retention.py), so the first run over a decade of records (850,000 of a million
persons) takes hours, and the clock's other jobs — the audit sealer every few seconds —
must not wait for it. A sweep works for at most SWEEP_SECONDS, then puts the rest back at
the end of the queue (from the next id on), so the emails queued meanwhile go first."""

from datetime import datetime, timedelta

from django.conf import settings
from django_tasks import task

from relais.core import clock
from relais.rights import retention

SWEEP_SECONDS = 60


def register_job() -> None:
    """Daily is plenty for a period counted in years; a run is idempotent."""
    clock.register("rights.retention", timedelta(days=1), start_sweep)


def start_sweep(now: datetime) -> int:
    """The worker's daily job: the sweep of the records due at `now`, queued."""
    sweep.enqueue(now.isoformat())
    return 1


@task()
def sweep(now: str, after_pk: int = 0) -> int:
    """Anonymise the records due at `now` from `after_pk` on, for SWEEP_SECONDS at most;
    what is left goes back in the queue. Returns how many were anonymised."""
    done, left_after = retention.run_for(now=datetime.fromisoformat(now),
                                         years=settings.RELAIS_RETENTION_YEARS,
                                         seconds=SWEEP_SECONDS, after_pk=after_pk)
    if left_after is not None:
        sweep.enqueue(now, left_after)
    return done
