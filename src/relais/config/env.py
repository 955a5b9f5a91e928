"""Tiny helpers that read configuration from environment variables.

Relais is configured only through the environment (12-factor); these helpers keep
settings.py readable, in the manner of healthchecks' `hc/settings.py`.
"""

import os
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "submission": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def parse_email_url(url: str) -> dict:
    """Turn `smtp://user:pass@host:587?tls=1` (or console://, file:///path) into settings."""
    parsed = urlparse(url)
    if parsed.scheme not in EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be one of {sorted(EMAIL_BACKENDS)}, got {parsed.scheme!r}"
        )
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    config = {
        "EMAIL_BACKEND": EMAIL_BACKENDS[parsed.scheme],
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": parsed.scheme == "smtps",
        "EMAIL_USE_TLS": parsed.scheme == "submission" or options.get("tls") in {"1", "true"},
    }
    if parsed.scheme == "file":
        config["EMAIL_FILE_PATH"] = parsed.path
    return config


def parse_database_url(url: str, **options) -> dict:
    """`dj_database_url.parse`, and also PostgreSQL's several hosts as libpq writes them:
    `postgres://relais@db1:5432,db2:5432/relais?target_session_attrs=read-write`.

    A Patroni cluster (docs/deploy.md, "High availability") has no fixed primary: given
    every node, libpq tries them in turn and keeps the one that accepts writes, so that
    after a failover new connections find the new primary without a proxy."""
    scheme, separator, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    hosts, slash, tail = location.partition("/")
    if not separator or "," not in hosts:
        return dj_database_url.parse(url, **options)
    if not scheme.startswith("postgres"):
        raise ImproperlyConfigured("Only a PostgreSQL DATABASE_URL may name several hosts.")
    names, ports = [], []
    for host in hosts.split(","):
        if host.startswith("["):  # an IPv6 address: [::1]:5432
            name, _, port = host[1:].partition("]")
            port = port.removeprefix(":")
        else:
            name, _, port = host.partition(":")
        if not name or (port and not port.isdigit()):
            raise ImproperlyConfigured(f"DATABASE_URL: {host!r} is not host:port.")
        names.append(name)
        ports.append(port or "5432")
    config = dj_database_url.parse(f"{scheme}://{credentials}{at}placeholder{slash}{tail}",
                                   **options)
    config["HOST"], config["PORT"] = ",".join(names), ",".join(ports)
    return config
