"""The zone pages are shown in is the request's current zone (core/middleware.py): set for
the request, as found without one, and gone after it."""

from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from relais.core.middleware import RequestContextMiddleware


def test_the_default_zone_is_current_during_the_request_only():
    seen = {}

    def view(request):
        seen["set"] = getattr(timezone._active, "value", None)
        seen["current"] = timezone.get_current_timezone()
        return HttpResponse("ok")

    outside = timezone.get_current_timezone()
    response = RequestContextMiddleware(view)(RequestFactory().get("/"))

    assert response.status_code == 200
    assert seen["set"] is timezone.get_default_timezone()  # a hit, not a miss that raises
    assert seen["current"] is outside is timezone.get_default_timezone()
    assert getattr(timezone._active, "value", None) is None
