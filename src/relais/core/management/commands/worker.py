"""`relais worker`: the task queue (django-tasks' `db_worker`: emails, …) and the clock
(`core.clock`: timed work) in one process, which reports it is alive every 10 s while its
clock runs (`core.heartbeat`, read by `/readyz`).

The clock is a thread beside the queue's loop, so Ctrl+C and SIGTERM stay the queue's
business: it finishes the task it is running and exits; the clock is then given a few
seconds to finish its job (a job cut short loses only its open transaction). Under the
autoreloader the clock runs in the reloaded child only.
"""

import logging
import os
import signal

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from relais.core import clock, heartbeat

STOP_WAIT_SECONDS = 5  # within `relais run`'s grace of 10 s
logger = logging.getLogger(__name__)


class Worker(db_worker.Worker):
    """django-tasks-db's worker, stopped between tasks only.

    Theirs exits at once on SIGTERM when no task is running, even one it has just claimed
    (committed as RUNNING) and not yet started. That task then stayed RUNNING for ever and
    was never run: an email lost at a restart (seen in
    tests/relais/notifications/test_several_workers.py, on a loaded machine). Here the
    first signal only ends the loop: a claimed task is run first, and an idle worker ends
    after its sleep (`--interval`, 1 s). A second signal stops it at once, as theirs does."""

    def shutdown(self, signum, frame) -> None:
        if not self.running:
            super().shutdown(signum, frame)
            return
        logger.warning("Received %s: stopping after the task under way, if any",
                       signal.strsignal(signum))
        self.running = False


class Command(db_worker.Command):
    help = "Run background tasks (emails) and timed work (reminders, escalations, digests)."

    def handle(self, *args, **options):
        if options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)  # the reloader's parent: no clock
        ticking = clock.Clock()
        ticking.start()
        beating = heartbeat.Beating(heartbeat.WORKER, alive=ticking.is_alive)
        beating.start()
        try:
            return self._serve(**options)
        finally:
            ticking.stop(wait=STOP_WAIT_SECONDS)
            beating.stop(wait=1)

    def _serve(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay,
               reload, max_tasks, worker_id, exclude_queues, **options) -> None:
        """db_worker's own `handle`, with the Worker above."""
        self.configure_logging(verbosity)
        if exclude_queues and "*" not in queue_name.split(","):
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_name.split(","), interval=interval, batch=batch,
            backend_name=backend_name, startup_delay=startup_delay, max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [])
        worker.configure_signals()
        if reload and not batch:  # here only in the reloader's child
            run_with_reloader(worker.run)
        else:
            worker.run()
