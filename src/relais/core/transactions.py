"""Transactions for services, and the all-or-nothing unit of work that batches them.

A service runs in `@service_transaction`: its own transaction when called alone (a web
request), a savepoint when called inside someone else's, so a caller that catches the
service's refusal can carry on in its transaction (tests and `apply_event` do).

Inside `all_or_nothing()` that savepoint buys nothing: any error undoes the whole unit,
so services there skip it. Each savepoint is two round trips to the database; the ADT
feed writes several messages in one unit (group commit) and would pay them per service
call per message.
"""

import functools
import threading
from contextlib import contextmanager

from django.db import transaction

_unit = threading.local()


def in_all_or_nothing() -> bool:
    return getattr(_unit, "active", False)


@contextmanager
def all_or_nothing():
    """One transaction that is kept whole or undone whole: nested services inside it take
    no savepoints. A caller that wants to survive one part's failure must not use it."""
    with transaction.atomic():
        outer = in_all_or_nothing()
        _unit.active = True
        try:
            yield
        finally:
            _unit.active = outer


def service_transaction(function):
    """`transaction.atomic` for a service, without the savepoint inside `all_or_nothing`."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with transaction.atomic(savepoint=not in_all_or_nothing()):
            return function(*args, **kwargs)

    return run
