"""The throw-away database every benchmark runs against.

A temporary SQLite file by default; with DATABASE_URL, that PostgreSQL database (created
if missing). Django is set up and migrated; the returned connection is ready.

DEBUG is off unless asked for, as in production: with DEBUG, Django writes every query
out with its values (psycopg's client-side `mogrify`) and keeps it, 1.5 ms of a booklet
page of 12 queries, more for a page whose queries name more ids.
"""

import os
import tempfile


def setup_database():
    os.environ.setdefault("DEBUG", "false")
    if not os.environ.get("DATABASE_URL"):
        os.environ["RELAIS_VAR_DIR"] = tempfile.mkdtemp(prefix="relais-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relais.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        _create_postgres_database(connection)
    call_command("migrate", verbosity=0)
    return connection


def _create_postgres_database(connection) -> None:
    import psycopg

    name = connection.settings_dict["NAME"]
    params = {k: v for k, v in {
        "host": connection.settings_dict["HOST"], "port": connection.settings_dict["PORT"],
        "user": connection.settings_dict["USER"]}.items() if v}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
