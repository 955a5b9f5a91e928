"""The ADT feed for `/readyz` and the metrics (docs/deploy.md, "Watch"): whether the
listener and an applier run, and what the inbox holds back (`inbox.backlog`).

Listed in the settings (`RELAIS_READINESS_CHECKS`, `RELAIS_METRICS_COLLECTORS`); core
calls them without importing this layer. Counts only: no patient data.
"""

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from relais.core import health, heartbeat
from relais.interop.adt import inbox
from relais.stays.models import AdtSource

# (key in inbox.backlog(), metric name, what it counts); each also `_by_sender`.
BACKLOG_GAUGES = (
    ("waiting", "relais_adt_waiting", "ADT messages stored and acknowledged, not applied yet."),
    ("oldest_waiting_seconds", "relais_adt_oldest_waiting_seconds",
     "Age of the oldest ADT message waiting to be applied (0 when none waits)."),
    ("failed", "relais_adt_failed", "ADT messages that failed and hold their patient's later "
                                    "ones (retry or set aside on the pending page)."),
    ("blocked", "relais_adt_blocked", "ADT messages waiting behind a failed one."),
    ("unstored", "relais_adt_unstored", "ADT messages refused while the database was "
                                        "unreachable and not sent again since."),
)


def listener() -> str | None:
    """Needed once an ADT source is configured (a hospital sends): the listener and at
    least one applier report."""
    if not AdtSource.objects.exists():
        return health.NOT_NEEDED
    return (health.heartbeat_reason(heartbeat.ADT_LISTENER, "relais adt-listen")
            or health.heartbeat_reason(heartbeat.ADT_APPLIER, "relais adt-apply"))


def metrics() -> Iterable[Metric]:
    """The inbox's backlog in total (always there, for alerts) and per sender
    (MSH-3^MSH-4; only senders with something waiting)."""
    per_sender = inbox.backlog()
    for key, name, documentation in BACKLOG_GAUGES:
        values = {sender: entry[key] or 0 for sender, entry in per_sender.items()}
        oldest = key == "oldest_waiting_seconds"
        yield health.gauge(name, documentation,
                           max(values.values(), default=0) if oldest else sum(values.values()))
        by_sender = GaugeMetricFamily(f"{name}_by_sender", documentation, labels=["sender"])
        for sender, value in values.items():
            by_sender.add_metric([sender], value)
        yield by_sender
