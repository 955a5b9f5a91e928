"""relais.core.sql: plain SQL for hot paths must give what the ORM gives."""

import datetime
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from relais.core import sql
from relais.network.services import create_person
from relais.stays.models import PlanItem, Stay
from relais.stays.services import open_stay

pytestmark = pytest.mark.django_db


@pytest.fixture
def stay(world, liaison_nurse):
    person = create_person({"first_name": "Jeanne", "last_name": "Peeters",
                            "birth_date": date(1938, 5, 1), "sex": "F"},
                           actor=liaison_nurse, organisation=world.hospital)
    return open_stay(person, hospital=world.hospital, actor=liaison_nurse,
                     ward=world.ward, visit_number="V42",
                     expected_discharge_on=timezone.localdate() + timedelta(days=3))


def test_an_instance_read_by_sql_equals_the_orms(stay):
    row = sql.fetch_one("SELECT {stay_columns} FROM {stay} WHERE visit_number = %s", ["V42"],
                        stay=Stay)
    read = sql.instance(Stay, row)
    orm = Stay.objects.get(pk=stay.pk)
    for field in Stay._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read.admitted_at.tzinfo is not None  # SQLite's naive text, converted
    assert not read._state.adding  # saving it updates the row


def test_no_row_gives_none():
    assert sql.instance(Stay, sql.fetch_one("SELECT {stay_columns} FROM {stay} WHERE id = %s",
                                            [-1], stay=Stay)) is None


def test_a_value_is_a_parameter_never_text(stay):
    hostile = "V42' OR '1'='1"
    assert sql.fetch_one("SELECT id FROM {stay} WHERE visit_number = %s", [hostile],
                         stay=Stay) is None


def test_inserted_rows_take_the_models_defaults_and_timestamps(stay):
    PlanItem.objects.filter(stay=stay).delete()
    started = timezone.now()
    sql.insert_rows(PlanItem, [
        {"stay_id": stay.pk, "domain": "medical", "text_nl": "Één", "text_fr": "Un",
         "text_en": "One", "blocking": True, "position": 0},
        {"stay_id": stay.pk, "domain": "family", "text_nl": "Twee", "text_fr": "Deux",
         "text_en": "Two", "blocking": False, "position": 1}])
    first, second = PlanItem.objects.filter(stay=stay).order_by("position")
    assert (first.text_nl, first.status, first.version, first.note) == ("Één", "todo", 1, "")
    assert first.owner_id is None and first.finished_at is None
    assert first.created_at >= started and first.updated_at == first.created_at
    assert (second.domain, second.blocking) == ("family", False)


def test_inserting_no_rows_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        sql.insert_rows(PlanItem, [])


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="psycopg converts PostgreSQL's statements only")
@pytest.mark.django_db
def test_a_long_statement_is_converted_once_per_process():
    """psycopg converts `%s` to `$1` at each run for statements over 4 KB unless widened
    (sql.keep_converted_statements, at start-up); the gate's are longer than that."""
    assert sql.keep_converted_statements()  # as CoreConfig.ready did: the same again
    psycopg_queries = sql.psycopg_queries
    long = "SELECT %s::int AS n" + "".join(f", %s::int AS n{i}" for i in range(120)) + \
        " -- " + "x" * 5000
    assert len(long) > 4096
    params = list(range(121))
    with connection.cursor() as cursor:
        before = psycopg_queries._query2pg.cache_info()
        for _ in range(3):
            cursor.execute(long, params)
            assert cursor.fetchone()[120] == 120
        after = psycopg_queries._query2pg.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)


# Written as PostgreSQL's text format gives them back, in sessions of any zone.
TIMESTAMPS = ["0001-01-01 00:00:00+00", "1969-07-20 20:17:40-04", "1970-01-01 00:00:00+00",
              "2026-03-29 01:59:59.999999+00", "2026-03-29 02:00:00.5+01",
              "2026-10-25 02:30:00.123+02", "2026-12-06 09:15:07.000001+05:30",
              "9999-12-31 23:59:59.999999+00"]
ZONES = ["UTC", "Europe/Brussels", "America/St_Johns", "Asia/Kolkata"]


def _loaded(cursor, zone: str, values=TIMESTAMPS) -> list:
    cursor.execute(f"SET TIME ZONE '{zone}'")
    cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(values)), values)
    return list(cursor.fetchone())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders")
@pytest.mark.django_db(transaction=True)
def test_timestamps_load_in_c_as_django_loads_them():
    """sql.load_timestamps_in_c (at start-up): Django's connections read timestamptz with
    psycopg's C loader, as the same datetimes, in UTC, that Django's own loader gives."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg import pq

    assert sql.load_timestamps_in_c()  # as CoreConfig.ready did: the same again
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(
            cursor.cursor.adapters.types["timestamptz"].oid, pq.Format.TEXT)
        assert loader.__name__ == "UtcTimestamptzLoader"
        assert type(loader(0).load).__module__ != loader.__module__  # C's, not Python's
        fast = _loaded(cursor, "UTC")
        register_tzloader(datetime.UTC, cursor.cursor)  # Django's own, on this cursor
        django_loaded = _loaded(cursor, "UTC")
        cursor.execute("SET TIME ZONE 'UTC'")
    assert fast == django_loaded
    assert all(value.tzinfo is datetime.UTC for value in fast)
    assert [v.isoformat() for v in fast][:2] == ["0001-01-01T00:00:00+00:00",
                                                 "1969-07-21T00:17:40+00:00"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders")
@pytest.mark.django_db(transaction=True)
def test_a_session_in_another_zone_still_gives_the_same_instants():
    """Should a session's zone not be UTC (a pooler that dropped Django's SET), the
    instants stay right; Django's loader would have labelled them UTC, hours off. (Not
    the years 1 and 9999: a zone's offset takes them past what Python's datetime holds.)"""
    values = TIMESTAMPS[1:-1]
    with connection.cursor() as cursor:
        in_utc = _loaded(cursor, "UTC", values)
        for zone in ZONES[1:]:
            # in UTC to compare: Python says an hour that a zone has twice never equals
            # another zone's (PEP 495)
            assert [v.astimezone(datetime.UTC) for v in _loaded(cursor, zone, values)] \
                == in_utc, zone
        cursor.execute("SET TIME ZONE 'UTC'")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_thousands_of_ids_are_behind_a_subquery_the_planner_does_not_weigh(stay):
    """AnyOfMany: the plan names no id (the planner did not estimate each one)."""
    ids = [stay.person_id, *range(10**9, 10**9 + 3000)]
    rows = Stay.objects.filter(sql.AnyOfMany(F("person_id"), ids)).values("pk")
    assert [row["pk"] for row in rows] == [stay.pk]
    statement, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "1000002999" not in plan and "InitPlan" in plan


def test_ids_go_to_postgresql_as_an_array_literal_of_integers_only():
    """AnyOf's ids as one text the server parses (psycopg dumps a list in Python, element
    by element): whatever is not an integer is refused before it reaches the SQL."""
    assert sql.array_literal([3, 1, 2]) == "{3,1,2}"
    assert sql.array_literal([]) == "{}"
    with pytest.raises(ValueError, match="invalid literal"):
        sql.array_literal(["1}, {2"])
