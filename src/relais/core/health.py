"""Is Relais ready to serve, and what does it hold back: `/readyz` and the metrics.

A readiness check is a function that returns None when all is well (NOT_NEEDED when what
it checks is not used here), else a short reason in English for the operator (never
person data). A metrics collector returns Prometheus metric families, read from the
database when scraped (so they are the same whichever gunicorn worker answers). Both are
listed by dotted path in the settings (`RELAIS_READINESS_CHECKS`,
`RELAIS_METRICS_COLLECTORS`): a higher layer (the ADT feed) adds its own without core
importing it.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import GaugeMetricFamily, Metric

from relais.core import heartbeat

OK = "ok"
NOT_NEEDED = "not needed"  # e.g. the ADT listener while no feed is configured
_all_migrations_applied = False  # once true in a process, true until new code (a restart)


def readiness() -> dict[str, str]:
    """Each check's answer ("ok", "not needed" or its reason), in the settings' order. Once
    the database fails, the checks after it are not run (they would only repeat it)."""
    answers = {}
    for name, path in settings.RELAIS_READINESS_CHECKS.items():
        if answers.get("database", OK) != OK:
            answers[name] = "not checked: database unavailable"
            continue
        try:
            answers[name] = import_string(path)() or OK
        except DatabaseError as error:
            answers[name] = f"database error: {type(error).__name__}"
    return answers


def database() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def migrations() -> str | None:
    global _all_migrations_applied
    if _all_migrations_applied:
        return None
    executor = MigrationExecutor(connection)
    waiting = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if waiting:
        return f"{len(waiting)} migration(s) not applied: run relais migrate"
    _all_migrations_applied = True
    return None


def worker() -> str | None:
    return heartbeat_reason(heartbeat.WORKER, "relais worker")


def heartbeat_reason(kind: str, command: str) -> str | None:
    """None if a process of `kind` beat recently; else what is wrong."""
    age = heartbeat.youngest_age(kind)
    if age is None:
        return f"no {command} is running"
    if age > heartbeat.stale_after().total_seconds():
        return f"no {command} has reported for {round(age)} s"
    return None


# --- metrics ---------------------------------------------------------------------------


def collect() -> Iterable[Metric]:
    """Every collector's metric families."""
    for path in settings.RELAIS_METRICS_COLLECTORS:
        yield from import_string(path)()


def task_metrics() -> Iterable[Metric]:
    """The task queue (emails, …): how many wait, the oldest's age, running and failed."""
    now = timezone.now()
    # As the queue reads it: a task without a time to wait for carries the largest date.
    ready = Q(status=TaskResultStatus.READY) & (Q(run_after=get_date_max())
                                                | Q(run_after__lte=now))
    found = DBTaskResult.objects.aggregate(
        waiting=Count("pk", filter=ready), oldest=Min("enqueued_at", filter=ready),
        running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count("pk", filter=Q(status=TaskResultStatus.FAILED,
                                    finished_at__gte=now - heartbeat.FORGOTTEN_AFTER)))
    oldest = found["oldest"]
    yield gauge("relais_tasks_waiting", "Background tasks ready to run and not started.",
                found["waiting"])
    yield gauge("relais_tasks_oldest_waiting_seconds",
                "Age of the oldest task ready to run (0 when none waits).",
                0 if oldest is None else max((now - oldest).total_seconds(), 0))
    yield gauge("relais_tasks_running", "Background tasks being run.", found["running"])
    yield gauge("relais_tasks_failed_24h", "Background tasks that failed in the last 24 h.",
                found["failed"])


def heartbeat_metrics() -> Iterable[Metric]:
    """Per kind of process: the age of its youngest heartbeat and how many beat recently."""
    seen = heartbeat.summary()
    age = GaugeMetricFamily("relais_heartbeat_age_seconds",
                            "Seconds since a process of this kind last reported.",
                            labels=["kind"])
    alive = GaugeMetricFamily("relais_processes_alive",
                              "Processes of this kind that reported recently.",
                              labels=["kind"])
    for kind in (heartbeat.WORKER, heartbeat.ADT_LISTENER, heartbeat.ADT_APPLIER):
        seconds, count = seen.get(kind, (None, 0))
        if seconds is not None:
            age.add_metric([kind], seconds)
        alive.add_metric([kind], count)
    yield age
    yield alive


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
