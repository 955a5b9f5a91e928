"""Background tasks, run by `relais worker` (django-tasks, database queue)."""

import logging
from datetime import datetime

from django_tasks import default_task_backend, task

from relais.notifications import emails

logger = logging.getLogger(__name__)


@task()
def send_email(delivery_id: int) -> str:
    """Send one queued email; after a failure, queue the next attempt with its delay."""
    outcome = emails.deliver(delivery_id)
    if outcome.retry_at is not None:
        enqueue_email(delivery_id, run_after=outcome.retry_at)
    return outcome.status


def enqueue_email(delivery_id: int, *, run_after: datetime | None = None) -> None:
    """Hand a delivery to the worker, now or later (when the task backend can wait)."""
    if run_after is not None and not default_task_backend.supports_defer:
        # The immediate backend (tests, no worker) cannot wait: the delivery stays
        # visible as failed, with its next attempt, until someone sends it again.
        logger.warning("Email delivery %s: this task backend cannot retry later.", delivery_id)
        return
    send_email.using(run_after=run_after).enqueue(delivery_id)
