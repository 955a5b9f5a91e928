"""For load balancers and monitoring: `/healthz`, `/readyz`, `/metrics` (docs/deploy.md).

`/healthz` says the process answers, without asking the database: a load balancer
restarting web servers because the database is down would only make things worse.
`/readyz` says whether Relais can do its work (database, migrations, the worker, the ADT
listener when a feed is configured): for monitoring and for an upgrade's last step, not
for taking web servers out of a load balancer (a stopped worker is no reason to refuse
pages). `/metrics` is Prometheus' text format, never public (`metrics_allowed`).
"""

import hmac
import ipaddress
import os

import prometheus_client
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, multiprocess

from relais.core import health


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    checks = health.readiness()
    ready = all(answer in (health.OK, health.NOT_NEEDED) for answer in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)


@never_cache
def metrics(request):
    """The web processes' request metrics (django-prometheus) and Relais's own gauges."""
    if not metrics_allowed(request):
        raise Http404
    body = prometheus_client.generate_latest(_process_registry())
    body += prometheus_client.generate_latest(_RelaisCollector())
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)


def metrics_allowed(request) -> bool:
    """With RELAIS_METRICS_TOKEN set: only a request carrying it (Authorization: Bearer).
    Without: only a scraper on this machine talking to Relais directly, not through the
    reverse proxy (a proxied request carries X-Forwarded-For, and the proxy's own address
    is the loopback's too)."""
    token = settings.RELAIS_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _process_registry():
    """Under gunicorn the request counters of every worker process are summed from
    PROMETHEUS_MULTIPROC_DIR (deploy/relais-web.service); else this process's own."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return prometheus_client.REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


class _RelaisCollector:
    """Relais's gauges (backlogs, heartbeats), read from the database now."""

    def collect(self):
        return health.collect()
