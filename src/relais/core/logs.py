"""Logs a machine can read: one JSON object a line (`RELAIS_LOG_FORMAT=json`, the default
in production), or text for a person at a terminal; both carry the request id that the
response's X-Request-ID and the audit log carry (`core.requestcontext`).

The request log (`RELAIS_REQUEST_LOG`, on in production) writes one line per request:
its method, the URL's *pattern* and view name (never the path itself, which may hold a
single-use token, nor the query, which may hold a searched name), status and duration.
"""

import json
import logging
import time
from datetime import UTC, datetime

from django.conf import settings

from relais.core import requestcontext

request_logger = logging.getLogger("relais.request")

# Attributes every LogRecord has; anything else was passed as `extra` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id", "request"}


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request being served ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = requestcontext.current().request_id or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({key: value for key, value in vars(record).items()
                      if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_request(request, response, started: float) -> None:
    """One line for a request served (RELAIS_REQUEST_LOG)."""
    if not settings.RELAIS_REQUEST_LOG:
        return
    match = getattr(request, "resolver_match", None)
    route = f"/{match.route}" if match else "-"
    request_logger.info(
        "%s %s %s", request.method, route, response.status_code,
        extra={"method": request.method, "route": route,
               "view": match.view_name if match else "-", "status": response.status_code,
               "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
