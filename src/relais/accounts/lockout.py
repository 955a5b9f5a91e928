"""Password guessing: locked per (account, client address), slowed down per account.

django-axes counts the failures. AXES_FAILURE_LIMIT failures for one account from one
client address lock that pair, and only that pair, for AXES_COOLOFF_TIME: a stranger who
types someone else's address cannot lock its owner out, and the owner logging in from
elsewhere succeeds. An account that keeps failing from many addresses is answered more
slowly instead: every attempt for it waits before its password is checked, at most
MAX_DELAY seconds. Addresses without an account are counted, locked and slowed exactly
like the others, so neither the page nor the delay tells whether an account exists.
"""

from time import sleep

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone

FIRST_DELAY = 0.1  # seconds, once the account has failed AXES_FAILURE_LIMIT times lately
MAX_DELAY = 2.0  # doubling per further failure up to here: slow, never blocked


def username(request, credentials=None) -> str | None:
    """The account as axes counts it: capitals and spaces around it make no new one."""
    source = credentials if credentials else getattr(request, "POST", {})
    typed = source.get(settings.AXES_USERNAME_FORM_FIELD)
    return str(typed).strip().lower()[:255] if typed else None


def slow_down(account: str) -> float:
    """Wait before the password of `account` is checked if it failed often lately, from
    any address; returns the seconds waited. Waiting before the check, for right and
    wrong passwords alike, means that cutting the connection short saves nothing."""
    delay = delay_for(recent_failures(account)) if account else 0.0
    if delay:
        sleep(delay)
    return delay


def recent_failures(account: str) -> int:
    """Failures for `account` from every address within the cool-off time."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(username=account, attempt_time__gte=since)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def delay_for(failures: int) -> float:
    beyond = failures - settings.AXES_FAILURE_LIMIT
    if beyond < 0:
        return 0.0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(beyond, 16))


def locked_out(request, original_response=None, credentials=None):
    """The page for a locked pair (HTTP 429): the same whether the account exists."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes},
                  status=settings.AXES_HTTP_RESPONSE_CODE)
