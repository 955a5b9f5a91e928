"""Password guessing: a lock per (account, client address), never for the account as a
whole; the real client address behind the trusted proxy; a slow-down for an account that
fails from everywhere. Real requests through the test client, as a browser sends them."""

import pytest
from django.test import Client
from django.urls import reverse

from relais.accounts import lockout
from relais.audit.models import AuditEvent
from relais.core.requestcontext import client_ip
from tests.factories import TEST_PASSWORD
from tests.helpers import without_tokens

LOGIN = reverse("accounts:login")
HOME = reverse("accounts:home")
PROXY = "10.0.0.2"
UNKNOWN = "nobody@test.relais.example"

pytestmark = pytest.mark.django_db


@pytest.fixture
def waits(monkeypatch):
    """The slow-down's waits, recorded instead of slept."""
    seconds = []
    monkeypatch.setattr(lockout, "sleep", seconds.append)
    return seconds


@pytest.fixture
def behind_proxy(settings):
    settings.RELAIS_BEHIND_PROXY = True
    settings.RELAIS_PROXY_COUNT = 1


def browser(address: str) -> Client:
    """A client connecting straight to Relais from `address`."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)


def proxied(address: str, forged: str = "") -> Client:
    """A client at `address` behind the proxy, which appends that address to whatever
    X-Forwarded-For the client sent (`forged`)."""
    forwarded = f"{forged}, {address}" if forged else address
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=PROXY,
                  HTTP_X_FORWARDED_FOR=forwarded)


def fail(client, email, times):
    """`times` wrong passwords; the answers' status codes."""
    return [client.post(LOGIN, {"username": email, "password": "wrong password"}).status_code
            for _ in range(times)]


def wrong_password(client, email):
    return client.post(LOGIN, {"username": email, "password": "wrong password"})


def log_in(client, email, password=TEST_PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def is_locked_out(response) -> bool:
    return response.status_code == 429 and "blocked for 15 minutes" in response.content.decode()


def test_failures_lock_the_account_from_that_client_only(home_nurse, settings, waits):
    attacker, owner = browser("198.51.100.1"), browser("198.51.100.2")
    limit = settings.AXES_FAILURE_LIMIT
    assert fail(attacker, home_nurse.email, limit) == [200] * (limit - 1) + [429]

    assert is_locked_out(log_in(attacker, home_nurse.email))
    assert "_auth_user_id" not in attacker.session
    response = log_in(owner, home_nurse.email)
    assert (response.status_code, response.url) == (302, HOME)
    assert owner.session["_auth_user_id"] == str(home_nurse.pk)


def test_the_lock_holds_for_that_account_only(home_nurse, liaison_nurse, settings, waits):
    client = browser("198.51.100.1")
    fail(client, home_nurse.email, settings.AXES_FAILURE_LIMIT)
    response = log_in(client, liaison_nurse.email)
    assert (response.status_code, response.url) == (302, HOME)


def test_capitals_and_spaces_do_not_make_another_account_to_guess(home_nurse, settings,
                                                                  waits):
    client = browser("198.51.100.1")
    typed = [home_nurse.email.upper(), f" {home_nurse.email} ", home_nurse.email.title()]
    for number in range(settings.AXES_FAILURE_LIMIT):
        fail(client, typed[number % len(typed)], 1)
    assert is_locked_out(log_in(client, home_nurse.email))


def test_an_unknown_address_is_answered_exactly_like_a_known_one(home_nurse, settings, waits):
    known, unknown = browser("198.51.100.1"), browser("198.51.100.2")
    limit = settings.AXES_FAILURE_LIMIT

    def page(response, email):
        return without_tokens(response).replace(email, "<typed address>")

    assert fail(known, home_nurse.email, limit - 1) == fail(unknown, UNKNOWN, limit - 1)
    known_failed, unknown_failed = (wrong_password(known, home_nurse.email),
                                    wrong_password(unknown, UNKNOWN))
    assert known_failed.status_code == unknown_failed.status_code == 429
    assert page(known_failed, home_nurse.email) == page(unknown_failed, UNKNOWN)
    known_again, unknown_again = log_in(known, home_nurse.email), log_in(unknown, UNKNOWN)
    assert is_locked_out(known_again) and is_locked_out(unknown_again)
    assert without_tokens(known_again) == without_tokens(unknown_again)
    assert waits == [0.1, 0.1]  # the same slow-down for both, at the same count


def test_behind_the_proxy_clients_are_told_apart_by_the_address_it_appends(
        home_nurse, settings, behind_proxy, waits):
    attacker, owner = proxied("203.0.113.5"), proxied("203.0.113.6")
    fail(attacker, home_nurse.email, settings.AXES_FAILURE_LIMIT)

    assert is_locked_out(log_in(attacker, home_nurse.email))
    response = log_in(owner, home_nurse.email)
    assert (response.status_code, response.url) == (302, HOME)


def test_behind_the_proxy_a_forged_address_on_the_left_changes_nothing(
        home_nurse, settings, behind_proxy, waits):
    for number in range(settings.AXES_FAILURE_LIMIT):
        fail(proxied("203.0.113.5", forged=f"192.0.2.{number}"), home_nurse.email, 1)
    assert is_locked_out(log_in(proxied("203.0.113.5", forged="192.0.2.99"), home_nurse.email))


def test_without_a_proxy_x_forwarded_for_is_ignored(home_nurse, settings, waits):
    settings.RELAIS_BEHIND_PROXY = False
    for number in range(settings.AXES_FAILURE_LIMIT):
        forger = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.1",
                        HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
        fail(forger, home_nurse.email, 1)
    forger = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.1",
                    HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert is_locked_out(log_in(forger, home_nurse.email))


def test_the_audit_log_records_the_client_behind_the_proxy(home_nurse, behind_proxy):
    log_in(proxied("203.0.113.6", forged="192.0.2.1"), home_nurse.email, "wrong password")
    log_in(proxied("203.0.113.6"), home_nurse.email)
    events = AuditEvent.objects.filter(action__in=["auth.login_failed", "auth.login"])
    assert sorted(events.values_list("action", "ip_address")) == [
        ("auth.login", "203.0.113.6"), ("auth.login_failed", "203.0.113.6")]


def test_an_account_failing_from_many_addresses_is_slowed_not_blocked(
        home_nurse, settings, waits):
    limit = settings.AXES_FAILURE_LIMIT
    for number in range(limit + 6):
        assert fail(browser(f"198.51.100.{number}"), home_nurse.email, 1) == [200]
    assert waits == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0]

    response = log_in(browser("198.51.100.200"), home_nurse.email)
    assert (response.status_code, response.url) == (302, HOME)
    assert waits[-1] == lockout.MAX_DELAY  # slower, but in
    fail(browser("198.51.100.201"), UNKNOWN, 1)  # another account is not slowed
    assert len(waits) == 7


@pytest.mark.parametrize(("behind", "count", "forwarded", "expected"), [
    (False, 1, "192.0.2.1", "10.0.0.2"),
    (True, 1, "", "10.0.0.2"),
    (True, 1, "192.0.2.1", "192.0.2.1"),
    (True, 1, "192.0.2.9, 192.0.2.1", "192.0.2.1"),
    (True, 2, "192.0.2.9, 192.0.2.1, 10.0.0.1", "192.0.2.1"),
    (True, 2, "192.0.2.1", "10.0.0.2"),
    (True, 1, "192.0.2.9, not-an-address", "10.0.0.2"),
    (True, 1, "2001:DB8::1", "2001:db8::1"),
])
def test_client_address(rf, settings, behind, count, forwarded, expected):
    settings.RELAIS_BEHIND_PROXY, settings.RELAIS_PROXY_COUNT = behind, count
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
