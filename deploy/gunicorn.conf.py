"""gunicorn for Relais (deploy/systemd/relais-web.service; docs/deploy.md).

Values come from the environment (/etc/relais/relais.env) so that this file is the same on
every server."""

import os

from prometheus_client import multiprocess

bind = os.environ.get("RELAIS_BIND", "127.0.0.1:8000")  # nginx in front, same machine
# 2 workers per core is a good start (each ~100-150 MB); one thread each: the database
# connection is kept per worker (DB_CONN_MAX_AGE).
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = 1
timeout = 60  # the observatory's CSV exports are the slowest pages
graceful_timeout = 25
# A worker is replaced after this many requests (the jitter keeps them from all leaving
# at once): keeps memory flat over weeks.
max_requests = 5000
max_requests_jitter = 500
# Relais's own request log (RELAIS_REQUEST_LOG) names the URL's pattern, never its path
# or query: gunicorn's access log would write search terms and single-use tokens.
accesslog = None
errorlog = "-"
# The worker processes' request metrics are summed from PROMETHEUS_MULTIPROC_DIR by
# /metrics; a worker that has gone must say so, or its gauges linger.


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
