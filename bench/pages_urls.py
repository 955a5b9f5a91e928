"""Relais's URLs plus /bench/minimal/: the cheapest page a signed-in user can open.

It runs through the same middleware as every page (session, authentication, two-factor,
memberships, language, CSP, security headers) and renders a one-line template (no
context processors), so the difference between it and a Relais page is what that page
itself costs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from relais.config.urls import handler400, handler403, handler404, handler500  # noqa: F401

MINIMAL = engines["django"].from_string(
    "<!doctype html><title>Bench</title><p>{{ user.first_name }}</p>")


@login_required
def minimal(request):
    return HttpResponse(MINIMAL.render({"user": request.user}))  # no context processors


urlpatterns = [
    path("bench/minimal/", minimal),
    path("", include("relais.config.urls")),
]
