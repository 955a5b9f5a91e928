"""A long booklet's first page counts "more than 1,000 entries" from the index alone.

The count walks the first 1,001 entries the reader may read, and the audience rules read
each entry's audience and author: booklet_person_time holds both (INCLUDE), so PostgreSQL
answers from the index, not from 1,001 rows of the table (docs/bench.md, stop 47)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from relais.booklet.models import Audience, Entry, EntryKind
from tests.relais.network import conftest as network_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
    pytest.mark.django_db(transaction=True),  # VACUUM runs outside a transaction
]


def _long_booklet(person, author, entries: int) -> None:
    Entry.objects.bulk_create(
        Entry(person=person, author=author, author_label="Test", kind=EntryKind.NOTE,
              audience=Audience.NETWORK, body=f"Visit {n}", search_text=f"visit {n}")
        for n in range(entries))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE booklet_entry")  # as autovacuum leaves a booklet of years


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_first_page_counts_a_long_booklet_from_the_index(madeleine, coordinator, client):
    _long_booklet(madeleine, coordinator, 3000)
    client.force_login(coordinator)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("booklet:booklet", args=[madeleine.pk]))

    assert page.status_code == 200
    assert "More than 1,000 entries" in page.content.decode()
    counting = [q["sql"] for q in queries if "SELECT COUNT(*) FROM" in q["sql"]]
    assert len(counting) == 1
    plan = _plan(counting[0])
    assert "Index Only Scan using booklet_person_time" in plan, plan
    assert "Index Scan using booklet_person_time" not in plan, plan  # none reads the table
    assert "Heap Fetches: 0" in plan, plan
