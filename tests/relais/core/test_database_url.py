"""DATABASE_URL may name every node of a PostgreSQL cluster (docs/deploy.md, "High
availability"): libpq tries them in turn and keeps the one `target_session_attrs` asks for."""

import socket

import dj_database_url
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.utils import ConnectionHandler

from relais.config.env import parse_database_url
from relais.config.replica import replica_database

CLUSTER = ("postgres://relais:s%40cret@db1.zone.example:5432,db2.zone.example:6432,"
           "[fd00::3]/relais?target_session_attrs=read-write&connect_timeout=3")


def test_several_hosts_become_libpqs_lists_of_hosts_and_ports():
    config = parse_database_url(CLUSTER, conn_max_age=60)
    assert config["HOST"] == "db1.zone.example,db2.zone.example,fd00::3"
    assert config["PORT"] == "5432,6432,5432"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("relais", "relais", "s@cret")
    assert config["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 3}
    assert config["CONN_MAX_AGE"] == 60


def test_one_host_is_parsed_as_dj_database_url_parses_it():
    url = "postgres://relais@db1.zone.example:5433/relais?sslmode=require"
    assert parse_database_url(url) == dj_database_url.parse(url)
    assert parse_database_url("sqlite:////tmp/relais.sqlite3")["NAME"] == "/tmp/relais.sqlite3"


@pytest.mark.parametrize("url", [
    "sqlite://a,b/relais",
    "postgres://relais@db1:5432,db2:fast/relais",
    "postgres://relais@db1:5432,,db2/relais",
])
def test_what_libpq_could_not_use_is_refused_at_start(url):
    with pytest.raises(ImproperlyConfigured):
        parse_database_url(url)


def test_the_replica_may_name_several_standbys_too():
    primary = parse_database_url(CLUSTER)
    replica = replica_database(CLUSTER.replace("read-write", "prefer-standby"), primary,
                               pgbouncer=False)
    assert replica["HOST"] == primary["HOST"]
    assert replica["OPTIONS"]["target_session_attrs"] == "prefer-standby"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="libpq's hosts: PostgreSQL")
@pytest.mark.django_db
def test_a_connection_skips_a_node_that_is_down_and_reaches_the_one_that_answers():
    """A real connection: the first node named refuses (a closed port, as a crashed
    primary's would), the second is this suite's PostgreSQL."""
    real = settings.DATABASES["default"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # nothing listens there once the probe is closed
    url = (f"postgres://{real['USER']}@127.0.0.1:{closed},{real['HOST'] or '127.0.0.1'}:"
           f"{real['PORT'] or 5432}/{real['NAME']}?target_session_attrs=read-write")
    config = parse_database_url(url)
    config["PASSWORD"] = real["PASSWORD"]
    handler = ConnectionHandler({"default": config})
    try:
        with handler["default"].cursor() as cursor:
            cursor.execute("SELECT inet_server_port(), pg_is_in_recovery()")
            assert cursor.fetchone() == (int(real["PORT"] or 5432), False)
    finally:
        handler.close_all()
