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

Across requests, the gate's statements (questions about one person, the visible-persons
subquery, a work list's one query) are kept compiled (`statement()`): building one costs
more than running it. The key holds everything in Python the statement is made of
(`policy.signature()`: the user, their memberships; the rules registered; the day; the
caller's filters); all else (consents, network members, exclusions, stays, break-the-
glass) the statement reads from the database when it runs, so a change there shows on
the very next request.
"""

import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection
from django.utils import timezone

from relais.core import kept

_memo: ContextVar[dict | None] = ContextVar("relais_gate_memo", default=None)
_not_remembering: ContextVar[bool] = ContextVar("relais_gate_not_remembering", default=False)
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
    if key in memo:
        answer = memo[key]
        if isinstance(answer, _Waiting):  # asked early: its statement answers it now
            answer = memo[key] = answer.finish()
        return answer
    if _not_remembering.get():
        return compute()
    memo[key] = compute()
    return memo[key]


@contextmanager
def not_remembering():
    """Answers found inside the block are not kept for the request (those kept before
    are still read): the block asks narrower questions (`persons.deciding_among`)."""
    token = _not_remembering.set(True)
    try:
        yield
    finally:
        _not_remembering.reset(token)


@contextmanager
def answering_anew():
    """Inside the block no answer is read from or kept for the request (a statement built
    for a stand-in user: the request's answers are about the real one)."""
    token = _memo.set(None)
    try:
        yield
    finally:
        _memo.reset(token)


def remember(key: tuple, answer) -> None:
    """Record an answer learnt another way (loading the person answers "sees it")."""
    memo = _memo.get()
    if memo is not None and not _not_remembering.get():
        memo[key] = answer


class _Waiting:
    """An answer asked early (`ask_early`), finished when first remembered."""

    __slots__ = ("question", "then")

    def __init__(self, question: kept.Later, then: Callable | None):
        self.question, self.then = question, then

    def finish(self):
        answer = self.question.get()
        return self.then(answer) if self.then else answer


def ask_early(key: tuple, question: kept.Later, then: Callable | None = None) -> None:
    """`remembered(key, …)` will be `then(question.get())` (or the answer itself): a page
    that knows what its sections will ask lets their questions wait together
    (`kept.asking_together`), to be answered in one statement. Outside a request, or once
    a write dropped the memo, the section asks again as usual."""
    memo = _memo.get()
    if memo is not None and not _not_remembering.get() and key not in memo:
        memo[key] = _Waiting(question, then)


def forget() -> None:
    """Drop every answer kept for this request (after a write that changes access); a
    question asked early stops waiting (the section will ask it again)."""
    memo = _memo.get()
    if memo:
        for answer in memo.values():
            if isinstance(answer, _Waiting):
                answer.question.forget_waiting()
        memo.clear()


def _forget_on_write(execute, sql, params, many, context):
    written = _WRITE.match(sql)
    if written and not written.group(1).lower().startswith(_NO_ACCESS_CHANGE):
        forget()
        kept.written()
    return execute(sql, params, many, context)


# --- statements kept compiled across requests --------------------------------------------

STATEMENTS_KEPT = 2_000  # per process; a statement is a few kilobytes of SQL
_statements: OrderedDict[tuple, tuple[str, tuple]] = OrderedDict()
_statements_lock = threading.Lock()  # the ADT listener and `relais run` use threads
_rules_version = [0]  # bumped when a rule is registered (apps loading, tests)


def rules_changed() -> None:
    """The registered grants or exclusions changed: statements built before are stale."""
    with _statements_lock:
        _rules_version[0] += 1
    forget_statements()


# The first item of the key of a statement built for a shape of user, not for one user
# (`persons._statement_for`): it names no one and runs no query when built.
PER_SHAPE = "per_shape"


def forget_statements(*, per_shape_too: bool = True) -> None:
    """Drop the kept statements (tests start from none, to count what a page builds; each
    test keeps those built per shape of user, which name no one: `per_shape_too=False`)."""
    with _statements_lock:
        if per_shape_too:
            _statements.clear()
        else:
            for key in [key for key in _statements if key[3:4] != (PER_SHAPE,)]:
                del _statements[key]
    kept.forget()


def _full_key(key: tuple) -> tuple:
    """`key` with what a kept statement or note also depends on: the database, the
    rules' version and the day."""
    return (connection.vendor, _rules_version[0], timezone.localdate(), *key)


def statement(key: tuple, build: Callable[[], tuple[str, list]]) -> tuple[str, list]:
    """The SQL and parameters `build()` returns, built once per process for `key` (with
    the vendor, the rules' version and the day added) and reused by later requests.

    A statement holding the moment it was built (a `timezone.now()` among its parameters)
    is never kept: reused, that moment would be wrong. Conditions on "now" say `Now()`."""
    full_key = _full_key(key)
    with _statements_lock:
        found = _statements.get(full_key)
        if found is not None:
            _statements.move_to_end(full_key)
            return found[0], list(found[1])
    counted("statement")
    sql, params = build()
    if not kept.holds_the_moment(params):
        with _statements_lock:
            _statements[full_key] = (sql, tuple(params))
            while len(_statements) > STATEMENTS_KEPT:
                _statements.popitem(last=False)
    return sql, list(params)


def known_lately(key: tuple, default=None):
    """What `keep_a_while(key, value, seconds)` kept in this process less than its
    seconds ago (and the statements were not forgotten since: a test starts without it),
    else `default`."""
    full_key = _full_key(key)
    with _statements_lock:
        found = _statements.get(full_key)
    return found[1] if found is not None and found[0] > time.monotonic() else default


def keep_a_while(key: tuple, value, seconds: float) -> None:
    """Keep `value` for `seconds` in this process, among the kept statements (so it is
    bounded and forgotten with them): for what may be learnt again a little late."""
    full_key = _full_key(key)
    with _statements_lock:
        _statements[full_key] = (time.monotonic() + seconds, value)
        while len(_statements) > STATEMENTS_KEPT:
            _statements.popitem(last=False)


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


# Questions a feature asks on most pages (the header's unread count), asked with the
# request's first statement of questions (`core.kept.asking_together`) rather than alone.
_first_questions: list[Callable] = []


def ask_with_the_first(ask: Callable) -> None:
    """`ask(request)` is called just before a request's first statement of questions, and
    may add its own to it (`kept.later_count`, `kept.later_exists`)."""
    if ask not in _first_questions:
        _first_questions.append(ask)


class DecideOncePerRequestMiddleware:
    """One memo of the gate's answers per request (see the module's docstring), and its
    small questions asked together."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with deciding_once(), kept.asking_together(join=lambda: _join_first(request)):
            return self.get_response(request)


def _join_first(request) -> None:
    for ask in _first_questions:
        ask(request)
