"""Small helpers shared by tests."""

import contextlib
import re
from unittest import mock

from django.db import connection
from django.db.models.sql.compiler import SQLCompiler


def without_tokens(response) -> str:
    """The page minus its per-response CSRF tokens, to compare two answers."""
    return re.sub(r'(value|content)="[A-Za-z0-9]{64}"', "", response.content.decode())


# Every signed-in page: session, user, memberships (acting organisation), the unread
# notification count in the header: alone on a page that asks no other small question,
# else in that question's statement (core.kept.asking_together: the page's count is then
# one fewer). The sliding session is saved at most once a minute
# (relais.accounts.sessions), not within a test. Page-specific queries come on top.
SIGNED_IN_QUERIES = 4
# With something unread, the header asks the gate which of it the reader still sees, in
# place of the quick look: from the second page on, the process remembers there was some
# (notifications/context_processors.py). The first page with something unread asks both.
UNREAD_QUERIES = 0

# Loading one person for a page (`person_for`): the person and what it shows with it, if
# the reader may see them (the gate's question about one person in the same query, its SQL
# kept across requests: access.persons.one_if_visible).
PERSON_QUERIES = 1

# Writing the audit events of a request (its reads, gathered) or of a change: one INSERT,
# carrying each event's leaf hash; no lock, no read of a chain head (the worker seals).
AUDIT_EVENT_QUERIES = 1


@contextlib.contextmanager
def compiled_statements():
    """The models of the statements Django compiles inside the block (core/kept.py keeps
    them compiled: a page that builds its queries anew shows here)."""
    compiled = []
    real = SQLCompiler.as_sql

    def counting(compiler, *args, **kwargs):
        compiled.append(compiler.query.model)
        return real(compiler, *args, **kwargs)

    with mock.patch.object(SQLCompiler, "as_sql", counting):
        yield compiled


def statements_planned_each_time() -> list[str]:
    """The statements this PostgreSQL connection prepared (psycopg prepares one at its
    fifth run) whose plan PostgreSQL makes again at every execution: after five custom
    plans it keeps a generic one unless that one looks dearer, which a misleading
    estimate causes (an array of ids is taken for ten). Planning a gated statement costs
    more than running it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements "
                       "WHERE generic_plans = 0 AND custom_plans > 6")
        return [" ".join(row[0].split())[:300] for row in cursor.fetchall()]
