"""What `relais` runs once Django is wanted (relais.config.cli imports this module when a
command runs, not when it starts): Django's manage, the var folder, the web server."""

import argparse
import os
import sys

from django.conf import settings
from django.core.management import execute_from_command_line


def manage(args: list[str]) -> int:
    ensure_var_dir()
    execute_from_command_line(["relais", *args])
    return 0


def ensure_var_dir() -> None:
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)


def serve(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="relais serve")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    parser.add_argument("--workers", default=os.environ.get("WEB_CONCURRENCY", "3"))
    options = parser.parse_args(args)
    if os.environ.get("RELAIS_ENV") == "production":
        return _gunicorn(options)
    return manage(["runserver", f"{options.host}:{options.port}"])


def _gunicorn(options) -> int:
    manage(["collectstatic", "--no-input", "-v", "0"])
    os.execvp(  # noqa: S606 - replaces this process with gunicorn, arguments are ours
        sys.executable,
        [sys.executable, "-m", "gunicorn", "relais.config.wsgi:application",
         "--bind", f"{options.host}:{options.port}", "--workers", str(options.workers),
         # Relais's request log names URL patterns; gunicorn's would write paths and
         # queries (tokens, searched names).
         *([] if settings.RELAIS_REQUEST_LOG else ["--access-logfile", "-"])],
    )
    return 0
