"""Health and metrics (issue 18, "Running it"): /healthz without the database, /readyz
(database, migrations, the worker's and the ADT listener's heartbeats), /metrics (never
public) with the task and ADT backlogs, and the heartbeats themselves."""

import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from relais.core import health, heartbeat
from relais.core.models import Heartbeat
from relais.stays.models import AdtMessage, AdtSource, AdtStatus
from tests.factories import HospitalFactory

TOKEN = "scrape-me-7f3a9c1e5b2d"


def beat(kind, *, ago=timedelta(seconds=3), instance="host-a:1"):
    now = timezone.now()
    heartbeat.beat(kind, instance, started_at=now - timedelta(hours=1), now=now - ago)


def metric(body: str, name: str, labels: str = "") -> float:
    """The value of one sample in Prometheus' text format."""
    pattern = re.escape(name) + (re.escape("{" + labels + "}") if labels else "") + r" (\S+)"
    found = re.search(r"^" + pattern + "$", body, re.MULTILINE)
    assert found, f"{name}{{{labels}}} not in the metrics"
    return float(found.group(1))


# --- /healthz: liveness, no database ---------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_without_asking_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


# --- /readyz ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_is_ready_when_the_worker_reported_and_no_adt_feed_is_configured(client):
    beat(heartbeat.WORKER)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {
        "database": "ok", "migrations": "ok", "worker": "ok", "adt_listener": "not needed"}}


@pytest.mark.django_db
def test_readyz_without_a_worker_is_unavailable_and_says_why(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["worker"] == "no relais worker is running"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_with_a_worker_silent_too_long_is_unavailable(client, settings):
    settings.RELAIS_HEARTBEAT_STALE_SECONDS = 60
    beat(heartbeat.WORKER, ago=timedelta(seconds=90))
    checks = client.get("/readyz").json()["checks"]
    assert checks["worker"] == "no relais worker has reported for 90 s"
    beat(heartbeat.WORKER, instance="host-b:7")  # another worker, on another machine
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_wants_the_adt_listener_and_an_applier_once_a_feed_is_configured(client):
    beat(heartbeat.WORKER)
    AdtSource.objects.create(sending_facility="CHU-TEST", hospital=HospitalFactory())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["adt_listener"] == "no relais adt-listen is running"
    beat(heartbeat.ADT_LISTENER)
    assert client.get("/readyz").json()["checks"]["adt_listener"] == (
        "no relais adt-apply is running")
    beat(heartbeat.ADT_APPLIER)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["adt_listener"] == "ok"


def _readiness_in_a_fresh_process(database_url: str) -> dict:
    code = ("import django, json; django.setup(); from relais.core import health; "
            "print(json.dumps(health.readiness()))")
    env = {**os.environ, "DATABASE_URL": database_url,
           "DJANGO_SETTINGS_MODULE": "relais.config.settings"}
    env.pop("RELAIS_ENV", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


@pytest.mark.sqlite_only
def test_readyz_names_migrations_not_applied_and_an_unreachable_database(tmp_path):
    fresh = _readiness_in_a_fresh_process(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert fresh["database"] == "ok"
    assert re.fullmatch(r"\d+ migration\(s\) not applied: run relais migrate",
                        fresh["migrations"]), fresh["migrations"]
    gone = _readiness_in_a_fresh_process(f"sqlite:///{tmp_path / 'no' / 'dir' / 'x.sqlite3'}")
    assert gone == {"database": "database error: OperationalError",
                    "migrations": "not checked: database unavailable",
                    "worker": "not checked: database unavailable",
                    "adt_listener": "not checked: database unavailable"}


# --- /metrics --------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_show_the_task_and_adt_backlogs_and_the_heartbeats(client):
    now = timezone.now()
    for minutes, run_after in ((4, now), (1, get_date_max()), (9, now + timedelta(hours=1))):
        task = DBTaskResult.objects.create(args_kwargs={}, task_path="relais.x",
                                           backend_name="default", run_after=run_after)
        DBTaskResult.objects.filter(pk=task.pk).update(  # enqueued_at is set on create
            enqueued_at=now - timedelta(minutes=minutes))
    # the third waits for its time (a retry in an hour): not counted
    hospital = HospitalFactory()
    for ago in (30, 10):
        AdtMessage.objects.create(hospital=hospital, sender="HIS^CHU-TEST", raw="MSH|",
                                  status=AdtStatus.RECEIVED, lane=f"{hospital.pk}:P1",
                                  received_at=now - timedelta(seconds=ago))
    AdtMessage.objects.create(hospital=hospital, sender="HIS^CHU-TEST", raw="MSH|",
                              status=AdtStatus.APPLIED, lane=f"{hospital.pk}:P2")
    beat(heartbeat.WORKER)

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    assert metric(body, "relais_tasks_waiting") == 2
    assert 240 <= metric(body, "relais_tasks_oldest_waiting_seconds") < 250
    assert metric(body, "relais_adt_waiting") == 2
    assert metric(body, "relais_adt_waiting_by_sender", 'sender="HIS^CHU-TEST"') == 2
    assert 30 <= metric(body, "relais_adt_oldest_waiting_seconds") < 40
    assert metric(body, "relais_adt_failed") == 0
    assert metric(body, "relais_processes_alive", 'kind="worker"') == 1
    assert metric(body, "relais_processes_alive", 'kind="adt-listener"') == 0
    assert 3 <= metric(body, "relais_heartbeat_age_seconds", 'kind="worker"') < 10
    assert metric(body, "relais_audit_unsealed_seconds") == 0
    assert "django_http_requests_total_by_method_total" in body  # django-prometheus


@pytest.mark.django_db
@pytest.mark.parametrize(("headers", "remote"), [
    ({}, "203.0.113.9"),                                   # from another machine
    ({"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "127.0.0.1"),  # through the reverse proxy
    ({"HTTP_X_FORWARDED_FOR": "127.0.0.1"}, "127.0.0.1"),    # whatever the proxy says
])
def test_metrics_without_a_token_answer_only_a_scraper_on_this_machine(client, headers, remote):
    response = client.get("/metrics", REMOTE_ADDR=remote, **headers)
    assert response.status_code == 404
    assert b"relais_" not in response.content


@pytest.mark.django_db
def test_metrics_with_a_token_answer_whoever_sends_it_and_only_them(client, settings):
    settings.RELAIS_METRICS_TOKEN = TOKEN
    far = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", **far).status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404  # token wins
    wrong = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x", **far)
    assert wrong.status_code == 404
    right = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **far)
    assert right.status_code == 200 and b"relais_tasks_waiting" in right.content


# --- the heartbeats --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_beat_moves_its_own_row_and_a_day_old_row_is_forgotten():
    beat(heartbeat.WORKER, instance="host-a:1", ago=timedelta(days=2))
    beat(heartbeat.WORKER, instance="host-b:2", ago=timedelta(seconds=20))
    beat(heartbeat.WORKER, instance="host-b:2", ago=timedelta(seconds=1))
    assert Heartbeat.objects.count() == 2
    heartbeat.forget_gone(heartbeat.WORKER)
    assert list(Heartbeat.objects.values_list("instance", flat=True)) == ["host-b:2"]
    assert 1 <= heartbeat.youngest_age(heartbeat.WORKER) < 5


@pytest.mark.django_db(transaction=True)
def test_the_beating_thread_reports_while_alive_and_removes_its_row_when_stopped():
    alive = [True]
    beating = heartbeat.Beating(heartbeat.ADT_APPLIER, alive=lambda: alive[0], every=0.05)
    beating.start()
    try:
        deadline = time.monotonic() + 10
        while not _read(Heartbeat.objects.filter(kind=heartbeat.ADT_APPLIER).exists):
            assert time.monotonic() < deadline, "no heartbeat within 10 s"
            time.sleep(0.05)
        row = _read(lambda: Heartbeat.objects.get(kind=heartbeat.ADT_APPLIER))
        assert row.instance == heartbeat.instance_name()
        alive[0] = False  # the work's thread died: the beats stop, the row grows old
        time.sleep(0.2)
        last = _read(lambda: Heartbeat.objects.get(pk=row.pk).beat_at)
        time.sleep(0.2)
        assert _read(lambda: Heartbeat.objects.get(pk=row.pk).beat_at) == last
    finally:
        beating.stop()
        connection.close()
    assert not beating.is_alive()
    assert not Heartbeat.objects.filter(kind=heartbeat.ADT_APPLIER).exists()


def _read(query, seconds: float = 10.0):
    """`query()`, asked again while the test's in-memory SQLite answers "table is locked":
    there the beating thread's write locks the table in the shared cache, and a loaded
    machine makes that window long. (A file's WAL, and PostgreSQL, let readers be.)"""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return query()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_the_checks_and_collectors_named_in_the_settings_exist(settings):
    from django.utils.module_loading import import_string

    for path in [*settings.RELAIS_READINESS_CHECKS.values(),
                 *settings.RELAIS_METRICS_COLLECTORS]:
        assert callable(import_string(path)), path
    assert health.OK == "ok"
