"""The sliding session is written at most once a minute, and still slides (issue 15)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from relais.core import clock

HOME = reverse("accounts:home")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def signed_in(client) -> bool:
    return client.get(HOME).wsgi_request.user.is_authenticated


def expiry(client) -> datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_settings_no_longer_save_every_request(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "relais.accounts.sessions.SessionRefreshMiddleware" in settings.MIDDLEWARE


def test_a_request_within_the_minute_does_not_write_the_session(client, home_nurse):
    with time_machine.travel(START, tick=False):
        client.force_login(home_nurse)
        signed_in_until = expiry(client)
    with time_machine.travel(START + timedelta(seconds=59), tick=False):
        assert signed_in(client)
        assert signed_in(client)
    assert expiry(client) == signed_in_until == START + timedelta(minutes=30)


def test_a_request_a_minute_later_slides_the_expiry(client, home_nurse):
    with time_machine.travel(START, tick=False):
        client.force_login(home_nurse)
    with time_machine.travel(START + timedelta(seconds=60), tick=False):
        client.get(HOME)
    assert expiry(client) == START + timedelta(minutes=31)
    with time_machine.travel(START + timedelta(seconds=90), tick=False):
        client.get(HOME)  # within a minute of the last save: not written
    assert expiry(client) == START + timedelta(minutes=31)


def test_a_session_kept_alive_outlives_its_first_half_hour(client, home_nurse):
    with time_machine.travel(START, tick=False):
        client.force_login(home_nurse)
    for minute in (10, 20, 29, 40, 55):
        with time_machine.travel(START + timedelta(minutes=minute), tick=False):
            assert signed_in(client)
    with time_machine.travel(START + timedelta(minutes=55 + 31), tick=False):
        assert not signed_in(client)  # idle half an hour: signed out


def test_an_idle_session_ends_after_half_an_hour(client, home_nurse):
    with time_machine.travel(START, tick=False):
        client.force_login(home_nurse)
    with time_machine.travel(START + timedelta(minutes=30, seconds=1), tick=False):
        assert not signed_in(client)


def test_a_session_without_a_stamp_is_written_once(client, home_nurse):
    client.force_login(home_nurse)
    session = client.session
    session.pop("_relais_refreshed_at")
    session.save()  # as a session from before this change
    client.get(HOME)
    assert "_relais_refreshed_at" in client.session


def test_however_busy_a_session_ends_twelve_hours_after_its_login(client, home_nurse, settings):
    assert settings.RELAIS_SESSION_MAX_HOURS == 12
    with time_machine.travel(START, tick=False):
        client.force_login(home_nurse)
    for minute in range(20, 12 * 60, 20):  # a request every 20 minutes, all day
        with time_machine.travel(START + timedelta(minutes=minute), tick=False):
            assert signed_in(client), minute
    with time_machine.travel(START + timedelta(hours=12), tick=False):
        assert not signed_in(client)
        assert client.get(reverse("accounts:organisation_list")).url.startswith(
            "/accounts/login/")
    with time_machine.travel(START + timedelta(hours=12, minutes=1), tick=False):
        client.force_login(home_nurse)  # signing in again starts a new twelve hours
        assert signed_in(client)


def test_a_session_from_before_the_rule_counts_its_twelve_hours_from_now(client, home_nurse):
    with time_machine.travel(START, tick=False):
        client.force_login(home_nurse)
        session = client.session
        del session["_relais_signed_in_at"]
        session.save()
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        assert signed_in(client)
        assert client.session["_relais_signed_in_at"] == int(
            (START + timedelta(minutes=10)).timestamp())


def test_the_worker_deletes_the_rows_of_ended_sessions_every_hour(client, home_nurse):
    # Django leaves them to a cron's clearsessions: without one, every login ever stays.
    with time_machine.travel(START, tick=False):
        client.force_login(home_nurse)
        ended = client.session.session_key
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        client.force_login(home_nurse)
        current = client.session.session_key
        assert clock.JOBS["accounts.clear_sessions"].every == timedelta(hours=1)
        assert clock.JOBS["accounts.clear_sessions"].run(START + timedelta(hours=1)) == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [current]
    assert ended != current
