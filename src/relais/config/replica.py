"""The read replica's database settings (`DATABASE_REPLICA_URL`; docs/deploy.md, "A read
replica"). Which reads go there is `relais.core.replica`'s business."""

from django.core.exceptions import ImproperlyConfigured

from relais.config.env import envint, parse_database_url

POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"


def replica_database(url: str, primary: dict, *, pgbouncer: bool) -> dict:
    """The `replica` alias: the primary's engine and connection options, opened read-only
    (a hot standby is anyway), and quick to give up when the standby is away: a page then
    reads the primary instead of waiting."""
    replica = parse_database_url(url, conn_max_age=primary["CONN_MAX_AGE"],
                                 conn_health_checks=True,
                                 disable_server_side_cursors=pgbouncer)
    if replica["ENGINE"] != primary["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name the same kind of database "
                                   "as DATABASE_URL (a PostgreSQL standby of it).")
    options = replica.setdefault("OPTIONS", {})
    if replica["ENGINE"] == POSTGRESQL:
        seconds = envint("RELAIS_REPLICA_CONNECT_TIMEOUT", 2)
        options["connect_timeout"] = seconds
        # A standby that vanishes under a kept connection (a frozen machine, a cut network)
        # answers nothing, not even a reset: without these a page would wait for TCP's own
        # retries (15 min). A query sent and not acknowledged, or a silent wait for rows
        # whose keepalives go unanswered, fails within seconds; then the page is read again
        # on the primary (relais.core.replica).
        options.update(tcp_user_timeout=seconds * 1000, keepalives=1, keepalives_idle=seconds,
                       keepalives_interval=1, keepalives_count=seconds)
        options.update({key: value for key, value in primary.get("OPTIONS", {}).items()
                        if key in ("prepare_threshold", "server_side_binding")})
        if not pgbouncer:  # PgBouncer refuses startup options: set it on the role there
            options["options"] = (primary.get("OPTIONS", {}).get("options", "")
                                  + " -c default_transaction_read_only=on").strip()
    elif replica["ENGINE"] == SQLITE:  # a copy of the file, for tests: never written
        options["init_command"] = "PRAGMA query_only = ON;"
    # The test suite reads the primary's test database under this name too, unless a test
    # makes a second database of its own (tests/relais/core/test_replica.py).
    replica["TEST"] = {"MIRROR": "default"}
    return replica
