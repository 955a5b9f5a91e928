"""Several `relais worker` processes on one PostgreSQL (issue 18, "Background work ...
scales by adding worker processes"): three real workers share a backlog of 200 emails and
send each once, through a real SMTP server on loopback; their clocks start each timed job
once per period, whichever worker comes first, not once per worker.

The queue takes a task with `SELECT … FOR UPDATE SKIP LOCKED` (django-tasks-db), the email
is claimed again on its row (`emails._claim`), and a timed job's start is a
compare-and-set on its `ClockRun` row, counted in `ClockRun.starts`.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from relais.audit import sealing, verification
from relais.audit.models import AuditBatch, AuditEvent
from relais.core import clock, heartbeat
from relais.core.models import ClockRun, Heartbeat
from relais.followup.models import Watch
from relais.followup.notices_timed import WATCH_DUE
from relais.notifications import services
from relais.notifications.models import DeliveryStatus, EmailDelivery, Notification
from tests.factories import UserFactory
from tests.relais.notifications.conftest import Mailbox, SmtpServer, free_port, join

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="SQLite runs one writing transaction at a time: nothing to race"),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 3
BACKLOG = 200
WATCHES = 5
RELAIS = [sys.executable, "-m", "relais.config.cli"]


class SlowMailbox(Mailbox):
    """A mail server that takes a few milliseconds a message, as real ones do: the three
    workers are then all at work at once."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def mail_server():
    server = SmtpServer(free_port())
    server.mailbox = SlowMailbox()
    server.start()
    yield server
    server.stop()


def database_url() -> str:
    db = connection.settings_dict
    return (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


def start_workers(tmp_path, smtp_port: int) -> list[tuple[subprocess.Popen, object]]:
    env = {**os.environ, "DATABASE_URL": database_url(), "RELAIS_VAR_DIR": str(tmp_path),
           "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
    env.pop("RELAIS_ENV", None)
    workers = []
    for n in range(WORKERS):
        log = open(tmp_path / f"worker-{n}.log", "w")  # noqa: SIM115 - closed in stop_workers
        workers.append((subprocess.Popen([*RELAIS, "worker", "--no-reload"], env=env,
                                         stdout=log, stderr=subprocess.STDOUT), log))
    return workers


def stop_workers(workers) -> list[int]:
    for process, _ in workers:
        process.send_signal(signal.SIGTERM)
    codes = []
    for process, log in workers:
        try:
            codes.append(process.wait(20))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
        log.close()
    return codes


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.2)


@pytest.fixture
def backlog(zebulon, stay):
    """200 readers of Zébulon's record told of his admission: 200 emails queued, held
    back until the workers run (their tasks wait an hour)."""
    readers = [UserFactory(email=f"reader-{n:03d}@test.relais.example", language="en")
               for n in range(BACKLOG)]
    for reader in readers:
        join(zebulon, reader)
        services.notify(reader, kind="stay.admitted", person=zebulon, target=stay,
                        params={"hospital": "Hôpital Test"})
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == BACKLOG
    DBTaskResult.objects.update(run_after=timezone.now() + timedelta(hours=1))
    return readers


@pytest.fixture
def due_watches(zebulon, follower):
    """Check-ins due yesterday: the clock's reminder job tells their owner once each."""
    yesterday = timezone.localdate() - timedelta(days=1)
    return [Watch.objects.create(person=zebulon, owner=follower, next_check_on=yesterday,
                                 started_on=date(2026, 11, 1)) for _ in range(WATCHES)]


def test_three_workers_send_each_email_once_and_start_each_timed_job_once(
        backlog, due_watches, follower, mail_server, tmp_path):
    started = time.monotonic()
    workers = start_workers(tmp_path, mail_server.port)
    try:
        wait_for(lambda: Heartbeat.objects.filter(kind=heartbeat.WORKER).count() == WORKERS,
                 60, "three workers to report")
        DBTaskResult.objects.update(run_after=timezone.now())  # the backlog, all at once
        wait_for(lambda: not EmailDelivery.objects.exclude(
            status=DeliveryStatus.SENT).exists(), 90, "every email to be sent")
        time.sleep(max(0.0, 8 - (time.monotonic() - started)))  # a few more ticks
    finally:
        codes = stop_workers(workers)
    elapsed = time.monotonic() - started
    logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(WORKERS))

    assert codes == [0] * WORKERS, logs
    assert "Traceback" not in logs, logs
    # Each email once: as many messages as deliveries, each of the 200 readers one.
    deliveries = EmailDelivery.objects.all()
    assert set(deliveries.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}
    messages = mail_server.mailbox.messages
    assert len(messages) == deliveries.count()
    received = Counter(message["To"] for message in messages)
    assert all(received[reader.email] == 1 for reader in backlog)
    told_of_watches = deliveries.filter(recipient=follower).count()  # the watches' owner
    assert received[follower.email] == told_of_watches >= 1
    assert len(messages) == BACKLOG + told_of_watches
    # Each task run once, by one worker; all three took part.
    tasks = DBTaskResult.objects.all()
    assert {task.status for task in tasks} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(task.worker_ids) == 1 for task in tasks)
    assert len({task.worker_ids[0] for task in tasks}) == WORKERS
    # The clocks: each job of a quarter of an hour or more started once, not thrice; the
    # sealer (every 2 s) about once per period, not once per period and worker.
    starts = dict(ClockRun.objects.values_list("name", "starts"))
    for name, job in clock.JOBS.items():
        if job.every >= timedelta(minutes=15):
            assert starts[name] == 1, (name, starts)
    assert 2 <= starts["audit.seal"] <= elapsed / 2 + 1, (starts, elapsed)
    # What the jobs did, once: each due watch's owner told once; every event sealed once.
    assert Notification.objects.filter(kind=WATCH_DUE).count() == WATCHES
    assert AuditBatch.objects.exists()  # the workers sealed
    sealing.seal(grace=timedelta(0))  # what came after their last seal
    summary = verification.Summary()
    assert list(verification.verify_batches(summary)) == []
    assert (summary.sealed, summary.unsealed) == (AuditEvent.objects.count(), 0)
