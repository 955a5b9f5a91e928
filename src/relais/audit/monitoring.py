"""The audit log's sealer for the metrics (listed in `RELAIS_METRICS_COLLECTORS`): how
long the oldest event past the sealing delay has waited, the figure `/healthz/audit`
answers 503 on."""

from collections.abc import Iterable

from django.utils import timezone
from prometheus_client.core import Metric

from relais.audit import sealing
from relais.core import health


def metrics() -> Iterable[Metric]:
    now = timezone.now()
    oldest = sealing.unsealed_since(now).order_by("id").values_list("occurred_at",
                                                                     flat=True).first()
    yield health.gauge("relais_audit_unsealed_seconds",
                       "Age of the oldest audit event the sealer is late with (0: on time).",
                       0 if oldest is None else (now - oldest).total_seconds())
