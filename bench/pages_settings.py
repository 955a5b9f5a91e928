"""Relais's own settings plus one URL: the minimal signed-in page bench/pages.py compares
every page with. Only the benchmark's gunicorn loads this module (PYTHONPATH=bench)."""

from relais.config.settings import *  # noqa: F403 - the real settings, unchanged

ROOT_URLCONF = "pages_urls"
