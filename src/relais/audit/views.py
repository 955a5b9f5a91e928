"""For monitoring (not the load balancer: a web server is healthy while the worker is
down): whether the sealer keeps up. 503 when events wait longer than the sealing delay."""

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from relais.audit import sealing


@never_cache
def sealing_health(request):
    now = timezone.now()
    oldest = sealing.unsealed_since(now).order_by("id").values_list("occurred_at",
                                                                     flat=True).first()
    if oldest is None:
        return JsonResponse({"status": "ok"})
    waiting = round((now - oldest).total_seconds())
    return JsonResponse({"status": "late", "oldest_unsealed_seconds": waiting}, status=503)
