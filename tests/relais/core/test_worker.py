"""`relais worker` stops between tasks: a SIGTERM that comes after the worker has claimed a
task (committed as RUNNING) and before it runs it must not leave that task RUNNING for
ever (django-tasks-db's own worker exits at once there)."""

import signal

import pytest
from django_tasks_db.management.commands import db_worker

from relais.core.management.commands.worker import Worker


def worker(cls):
    return cls(queue_names=["default"], interval=0.1, batch=False, backend_name="default",
               startup_delay=False, max_tasks=None, worker_id="w1", excluded_queue_names=[])


@pytest.fixture
def kept_handlers():
    """The test process's own handlers, back after a shutdown that resets them."""
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM,
                                                              signal.SIGQUIT)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


def test_django_tasks_db_alone_exits_at_once_between_a_claim_and_its_task(kept_handlers):
    # Why ours exists: when this no longer exits, theirs has been fixed.
    theirs = worker(db_worker.Worker)
    with pytest.raises(SystemExit):
        theirs.shutdown(signal.SIGTERM, None)  # no task *running*: maybe one claimed


def test_the_first_signal_ends_the_loop_after_the_task_claimed_the_second_stops_it_now(
        kept_handlers):
    ours = worker(Worker)
    ours.shutdown(signal.SIGTERM, None)  # between the claim and the task: no exit here
    assert ours.running is False  # the loop runs the claimed task, then ends
    with pytest.raises(SystemExit) as stopped:
        ours.shutdown(signal.SIGINT, None)
    assert stopped.value.code == 1
