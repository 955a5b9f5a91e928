"""A sliding session that is written at most once a minute.

Sessions end after `SESSION_COOKIE_AGE` of inactivity (R-security: a forgotten screen
signs out). Django slides the expiry by saving the session on every request
(`SESSION_SAVE_EVERY_REQUEST`), which turns every page view, reads included, into a write
transaction. Here a signed-in request saves the session only when it changed anyway or
when its expiry was last pushed forward a minute ago or more: the session still ends
between `SESSION_COOKIE_AGE - 1 min` and `SESSION_COOKIE_AGE` after the last request.

However busy, a signed-in session ends `RELAIS_SESSION_MAX_HOURS` after its login (a
shift; a screen left signed in on a ward is not signed in for ever): the next request
finds it flushed and goes to the login page.

Django never deletes an ended session's row by itself (its `clearsessions` is left to a
cron): the worker does, every hour, so that the table holds the sessions that may still
be used, not every login since the installation.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.dispatch import receiver

from relais.core import clock

REFRESHED_AT = "_relais_refreshed_at"  # epoch seconds of the last save of the session
SIGNED_IN_AT = "_relais_signed_in_at"  # epoch seconds of the login
REFRESH_SECONDS = 60


class SessionRefreshMiddleware:
    """Placed just after Django's SessionMiddleware: ends a session signed in too long,
    and marks the session modified (so that SessionMiddleware saves it and pushes its
    expiry forward) at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and signed_in_too_long(session):
            session.flush()  # signed out: the page asked for sends to the login
        response = self.get_response(request)
        if session is not None and session.accessed and not session.is_empty():
            refresh_if_due(session)
        return response


def refresh_if_due(session) -> None:
    """Stamp the session if it is being saved anyway, or if its last save is a minute
    old (or unknown): stamping marks it modified, so it is saved and its expiry slides."""
    now = int(time.time())
    if session.modified or now - session.get(REFRESHED_AT, 0) >= REFRESH_SECONDS:
        session[REFRESHED_AT] = now


def signed_in_too_long(session) -> bool:
    """A signed-in session whose login is RELAIS_SESSION_MAX_HOURS old. A session from
    before this rule, without the time of its login, counts from now."""
    if SESSION_KEY not in session:
        return False
    now = int(time.time())
    signed_in_at = session.setdefault(SIGNED_IN_AT, now)
    return now - signed_in_at >= settings.RELAIS_SESSION_MAX_HOURS * 3600


@receiver(user_logged_in)
def stamp_new_session(sender, request, user, **kwargs):
    # Logging in saves the session: the next request within the minute need not.
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_AT] = request.session[SIGNED_IN_AT] = int(time.time())


def clear_expired(now: datetime) -> int:
    """The worker's hourly job: the rows of the sessions past their expiry, deleted."""
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return deleted


def register_job() -> None:
    clock.register("accounts.clear_sessions", timedelta(hours=1), clear_expired)
