"""The worker's clock (core.clock): a registered job runs when its period has elapsed,
once across workers side by side (compare-and-set on ClockRun); `relais worker` ticks
it beside the task queue and stops cleanly on SIGTERM and Ctrl+C."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from relais.core import clock
from relais.core.models import ClockRun

NOON = datetime(2026, 12, 7, 11, tzinfo=UTC)


@pytest.fixture
def jobs(monkeypatch):
    """Only the jobs a test registers (the features' own are left out)."""
    monkeypatch.setattr(clock, "JOBS", {})
    return clock.JOBS


def counting(runs: list, result: int = 1):
    def job(now):
        runs.append(now)
        return result
    return job


@pytest.mark.django_db
def test_a_job_runs_at_once_then_when_its_period_has_elapsed(jobs):
    runs = []
    clock.register("test.every_15_min", timedelta(minutes=15), counting(runs))
    assert clock.run_due(NOON) == {"test.every_15_min": 1}
    assert clock.run_due(NOON + timedelta(minutes=14, seconds=59)) == {}
    assert clock.run_due(NOON + timedelta(minutes=15)) == {"test.every_15_min": 1}
    assert runs == [NOON, NOON + timedelta(minutes=15)]
    row = ClockRun.objects.get(name="test.every_15_min")
    assert (row.last_run_at, row.starts) == (runs[-1], 2)


@pytest.mark.django_db
def test_each_job_keeps_its_own_period(jobs):
    quick, daily = [], []
    clock.register("test.quick", timedelta(minutes=15), counting(quick))
    clock.register("test.daily", timedelta(days=1), counting(daily))
    for minutes in range(0, 24 * 60 + 1, 15):
        clock.run_due(NOON + timedelta(minutes=minutes))
    assert (len(quick), len(daily)) == (97, 2)


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_tried_again_at_the_next_tick(jobs, caplog):
    attempts = []

    def flaky(now):
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("the mail server is down")
        return 2

    others = []
    clock.register("test.flaky", timedelta(hours=1), flaky)
    clock.register("test.other", timedelta(hours=1), counting(others))
    assert clock.run_due(NOON) == {"test.other": 1}  # the other job still ran
    assert "timed job test.flaky failed" in caplog.text
    assert clock.run_due(NOON + timedelta(seconds=15)) == {"test.flaky": 2}
    assert clock.run_due(NOON + timedelta(seconds=30)) == {}


@pytest.mark.django_db
def test_a_worker_that_read_the_row_before_the_other_claimed_it_does_not_run(jobs):
    """The compare-and-set: the row changed between the read and the update."""
    runs = []
    clock.register("test.once", timedelta(minutes=15), counting(runs))
    clock.run_due(NOON)
    stale = ClockRun.objects.get(name="test.once")
    ClockRun.objects.filter(pk=stale.pk).update(last_run_at=NOON + timedelta(minutes=15))
    assert ClockRun.objects.filter(pk=stale.pk, last_run_at=stale.last_run_at).update(
        last_run_at=NOON + timedelta(minutes=15)) == 0
    assert clock.run_due(NOON + timedelta(minutes=16)) == {}
    assert len(runs) == 1


@pytest.mark.django_db(transaction=True)
def test_two_callers_at_once_run_a_due_job_once(jobs):
    runs = []
    lock = threading.Lock()

    def slow(now):
        with lock:
            runs.append(now)
        time.sleep(0.2)  # the other caller looks while this one runs
        return 1

    clock.register("test.race", timedelta(minutes=15), slow)
    ClockRun.objects.create(name="test.race", last_run_at=NOON - timedelta(hours=1))
    start = threading.Barrier(4)
    results = []

    def caller():
        try:
            start.wait(timeout=10)
            results.append(clock.run_due(NOON))
        finally:
            connection.close()

    callers = [threading.Thread(target=caller) for _ in range(4)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=30)
    assert len(runs) == 1
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert ClockRun.objects.get(name="test.race").starts == 1


def test_the_features_register_their_timed_work():
    assert {"booklet.remind_consultations", "notifications.digests",
            "followup.escalate_overdue", "followup.remind_watches"} <= set(clock.JOBS)
    assert clock.JOBS["notifications.digests"].every == timedelta(days=1)
    assert clock.JOBS["followup.escalate_overdue"].every == timedelta(minutes=15)


# --- `relais worker`: the clock beside the queue (a real process) ------------------------

RELAIS = [sys.executable, "-m", "relais.config.cli"]


def _environment(var_dir: Path) -> dict:
    env = {**os.environ, "RELAIS_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", "EMAIL_URL", "RELAIS_ENV"):
        env.pop(name, None)
    return env


def _clock_rows(database: Path) -> set[str]:
    try:
        with sqlite3.connect(database) as db:
            return {name for (name,) in db.execute(
                "SELECT name FROM core_clockrun WHERE last_run_at IS NOT NULL")}
    except sqlite3.Error:
        return set()


@pytest.mark.sqlite_only  # the worker runs on its own SQLite file
def test_the_worker_ticks_the_clock_and_stops_on_sigterm_and_ctrl_c(tmp_path, var_dirs):
    env = _environment(tmp_path)
    migrated = var_dirs.copy("migrated", tmp_path)["migrate"]  # ran once for the test run
    assert migrated.returncode == 0, migrated.stderr
    database = tmp_path / "relais.sqlite3"
    for signum in (signal.SIGTERM, signal.SIGINT):
        with sqlite3.connect(database) as db:
            db.execute("DELETE FROM core_clockrun")
        worker = subprocess.Popen([*RELAIS, "worker", "--no-reload"], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            assert _wait_for_ticks(database, 30), "the clock never ticked"
            worker.send_signal(signum)
            assert worker.wait(15) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
            output = worker.communicate()[0]
        assert "Traceback" not in output, output


def _wait_for_ticks(database: Path, seconds: float) -> bool:
    expected = {"booklet.remind_consultations", "notifications.digests",
                "followup.escalate_overdue", "followup.remind_watches"}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if expected <= _clock_rows(database):
            return True
        time.sleep(0.2)
    return False
