"""Decide once per request: the gate's answers, kept for the request that asked.

A page asks the gate the same questions several times (the person page: may this user
read person 42, change it, is the user excluded; every section asks again), and each
question is a queryset of correlated EXISTS that Django builds and compiles anew. Within
one request the answer cannot change unless the request itself writes, so the gate keeps
its answers (booleans, and the visible-persons subquery compiled to SQL once) in a memo
that lives as long as the request:

* `DecideOncePerRequestMiddleware` opens a memo for every request; outside requests (the
  worker, commands) there is none and every question is asked again, as before, unless
  the code opens one with `deciding_once()`.
* Any write the request makes (INSERT, UPDATE, DELETE on any table but the audit log's
  and the session's) empties the memo: a membership, a network member, a consent or a
  break-the-glass access written in this request is seen by the next question. The check
  is on the SQL sent, so `QuerySet.update()` and bulk writes count too.
* `counting()` counts the questions the gate builds (the tests assert them per page, so a
  page that asks again shows up in CI).
"""

import re
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection

_memo: ContextVar[dict | None] = ContextVar("relais_gate_memo", default=None)
_counters: list[Counter] = []  # open `counting()` blocks (tests, benchmarks)

# Writes that never change who sees what: the audit trail of the reads themselves, the
# session's sliding expiry, the lock-out's attempts.
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_NO_ACCESS_CHANGE = ("audit_", "django_session", "axes_")


@contextmanager
def deciding_once():
    """Keep the gate's answers until the block ends (or the block writes)."""
    token = _memo.set({})
    try:
        with connection.execute_wrapper(_forget_on_write):
            yield
    finally:
        _memo.reset(token)


def remembered(key: tuple, compute: Callable[[], object]):
    """The answer to `key` computed once in this request; computed each time outside."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def remember(key: tuple, answer) -> None:
    """Record an answer learnt another way (loading the person answers "sees it")."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = answer


def forget() -> None:
    """Drop every answer kept for this request (after a write that changes access)."""
    memo = _memo.get()
    if memo:
        memo.clear()


def _forget_on_write(execute, sql, params, many, context):
    written = _WRITE.match(sql)
    if written and not written.group(1).lower().startswith(_NO_ACCESS_CHANGE):
        forget()
    return execute(sql, params, many, context)


# --- how many questions the gate built ---------------------------------------------------


@contextmanager
def counting():
    """Count the gate's questions built inside the block, by kind ("visible", ...)."""
    counter = Counter()
    _counters.append(counter)
    try:
        yield counter
    finally:
        _counters.remove(counter)


def counted(kind: str) -> None:
    for counter in _counters:
        counter[kind] += 1


class DecideOncePerRequestMiddleware:
    """One memo of the gate's answers per request (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with deciding_once():
            return self.get_response(request)
