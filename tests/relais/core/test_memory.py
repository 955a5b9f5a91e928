"""The web worker leaves what it keeps out of the collector's full passes (core/memory.py):
frozen once loaded, and again after its first requests have filled the caches."""

import gc
import os
import subprocess
import sys

import pytest
from django.core.signals import request_finished

from relais.core import memory


@pytest.fixture
def warming():
    memory.freeze_as_it_warms()
    yield
    request_finished.disconnect(dispatch_uid="relais.core.memory")
    gc.unfreeze()


def test_what_is_loaded_is_frozen_and_a_full_pass_walks_little(warming):
    assert gc.get_freeze_count() > 10_000  # Django, Relais, the test run: all loaded
    assert len(gc.get_objects()) < gc.get_freeze_count() / 10


def test_what_the_first_requests_keep_is_frozen_at_the_planned_requests(warming, client):
    frozen = [gc.get_freeze_count()]
    for _ in range(10):
        kept_by_this_request = [[] for _ in range(50)]  # alive when the request ends
        client.get("/healthz")
        frozen.append(gc.get_freeze_count())
        del kept_by_this_request
    grew = [n for n in range(1, 11) if frozen[n] > frozen[n - 1]]
    assert grew == [1, 10]  # after the 1st request and the 10th, not the others


def test_the_web_servers_entry_point_freezes(tmp_path):
    """gunicorn loads relais.config.wsgi in each worker: loading it is what freezes."""
    code = ("import gc; assert gc.get_freeze_count() == 0; import relais.config.wsgi; "
            "print(gc.get_freeze_count())")
    env = dict(os.environ, RELAIS_VAR_DIR=str(tmp_path))
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL"):  # the default settings, SQLite
        env.pop(name, None)
    frozen = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True).stdout
    assert int(frozen) > 10_000
