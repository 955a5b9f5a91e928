"""Structured logs (issue 18): one JSON object a line carrying the request's id, and a
request log that names the URL's pattern, never the path or the query."""

import json
import logging
import os
import re
import subprocess
import sys

import pytest

from relais.core import requestcontext
from relais.core.logs import JsonFormatter, RequestIdFilter


def formatted(record: logging.LogRecord) -> dict:
    RequestIdFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def a_record(message="stored %s", args=("x",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("relais.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_carries_the_request_id_of_the_request_being_served():
    token = requestcontext.activate(requestcontext.RequestContext(request_id="abc123def456"))
    try:
        line = formatted(a_record(status_code=404))
    finally:
        requestcontext.deactivate(token)
    assert set(line) == {"time", "level", "logger", "message", "request_id", "status_code"}
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING", "relais.test", "stored x")
    assert (line["request_id"], line["status_code"]) == ("abc123def456", 404)
    assert line["time"].endswith("+00:00")


def test_outside_a_request_the_id_is_a_dash_and_an_exception_is_kept_whole():
    try:
        raise ValueError("boom")
    except ValueError:
        record = a_record()
        record.exc_info = sys.exc_info()
    line = formatted(record)
    assert line["request_id"] == "-"
    assert line["exception"].startswith("Traceback") and "ValueError: boom" in line["exception"]


@pytest.mark.django_db
def test_the_request_log_names_the_pattern_not_the_path_nor_the_query(client, settings, caplog,
                                                                     coordinator):
    settings.RELAIS_REQUEST_LOG = True
    client.force_login(coordinator)
    with caplog.at_level(logging.INFO, logger="relais.request"):
        response = client.get("/persons/987654/", {"q": "Dewit"})
    [record] = [r for r in caplog.records if r.name == "relais.request"]
    assert (record.method, record.route, record.status) == (
        "GET", "/persons/<int:pk>/", response.status_code)
    assert record.view == "network:person_detail"
    assert record.getMessage() == f"GET /persons/<int:pk>/ {response.status_code}"
    assert "987654" not in json.dumps(vars(record), default=str)
    assert "Dewit" not in json.dumps(vars(record), default=str)
    assert record.duration_ms >= 0
    assert record.request_id == response["X-Request-ID"]


@pytest.mark.django_db
def test_the_request_log_is_off_unless_asked(client, settings, caplog):
    settings.RELAIS_REQUEST_LOG = False
    with caplog.at_level(logging.INFO, logger="relais.request"):
        client.get("/healthz")
    assert [r for r in caplog.records if r.name == "relais.request"] == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("setting", "form"), [
    ("json", r'^\{"time": "'), ("text", r"^\d{4}-\d\d-\d\d [\d:,]+ WARNING relais.t \[-\] ")])
def test_the_log_format_is_chosen_by_a_setting(setting, form, tmp_path):
    code = ("import django, logging; django.setup(); "
            "logging.getLogger('relais.t').warning('hello %s', 'there')")
    env = {**os.environ, "RELAIS_LOG_FORMAT": setting, "RELAIS_VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "relais.config.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    assert re.match(form, done.stderr), done.stderr
    assert "hello there" in done.stderr
    if setting == "json":
        assert json.loads(done.stderr)["request_id"] == "-"
