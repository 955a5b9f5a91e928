"""`relais worker`: the task queue (django-tasks' `db_worker`: emails, …) and the clock
(`core.clock`: timed work) in one process, which reports it is alive every 10 s while its
clock runs (`core.heartbeat`, read by `/readyz`).

The clock is a thread beside the queue's loop, so Ctrl+C and SIGTERM stay the queue's
business: it finishes the task it is running and exits; the clock is then given a few
seconds to finish its job (a job cut short loses only its open transaction). Under the
autoreloader the clock runs in the reloaded child only.
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from relais.core import clock, heartbeat

STOP_WAIT_SECONDS = 5  # within `relais run`'s grace of 10 s


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
            return super().handle(*args, **options)
        finally:
            ticking.stop(wait=STOP_WAIT_SECONDS)
            beating.stop(wait=1)
