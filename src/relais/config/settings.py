"""Relais settings: read from environment variables only, safe defaults for development.

`RELAIS_ENV=production` turns on every transport and cookie protection and refuses to
start without a real SECRET_KEY, so that `relais check --deploy` reports nothing.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from relais.config.env import (
    envbool,
    envint,
    envlist,
    envstr,
    parse_database_url,
    parse_email_url,
)
from relais.config.replica import replica_database

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(envstr("RELAIS_HOME", str(Path.cwd())))
VAR_DIR = Path(envstr("RELAIS_VAR_DIR", str(BASE_DIR / "var")))

RELAIS_ENV = envstr("RELAIS_ENV", "development")
PRODUCTION = RELAIS_ENV == "production"

# A fixed development key keeps sessions valid across restarts of `make run`;
# production refuses it below.
DEVELOPMENT_SECRET_KEY = "relais-development-key-not-for-production-use-0123456789abcdef"
SECRET_KEY = envstr("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if PRODUCTION and (
    SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "RELAIS_ENV=production needs a SECRET_KEY of at least 50 random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

DEBUG = envbool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "relais.core",
    "relais.audit",
    "relais.accounts",
    "relais.access",
    "relais.network",
    "relais.directory",
    "relais.stays",
    "relais.booklet",
    "relais.followup",
    "relais.observatory",
    "relais.thematic",
    "relais.rights",
    "relais.interop",
    "relais.demo",
    "relais.notifications",
]

MIDDLEWARE = [
    # Request counts and durations by view for Prometheus (/metrics): first and last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "relais.core.static.FoundOnceWhiteNoiseMiddleware",
    "relais.core.middleware.RequestContextMiddleware",
    # The gate's answers (who sees which person) kept for the request that asked them.
    "relais.access.decisions.DecideOncePerRequestMiddleware",
    # Listed pages read the read replica, if any, until they write (relais.core.replica).
    "relais.core.replica.ReplicaMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Slides the session's expiry by saving it at most once a minute (not every request).
    "relais.accounts.sessions.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages for a signed-in user carry person data: Cache-Control: no-store, private.
    "relais.core.middleware.NoStoreWhenSignedInMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "relais.accounts.middleware.TwoFactorMiddleware",
    "relais.accounts.middleware.SignedInContextMiddleware",
    # The request's reads of person data, written as one audit INSERT at its end.
    "relais.audit.middleware.GatherReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before anything reads a form: refuses an upload over the limit without reading it,
    # in the user's language.
    "relais.core.upload_handlers.UploadLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last: it turns a lock-out into our own translated page.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "relais.config.urls"
WSGI_APPLICATION = "relais.config.wsgi.application"

TEMPLATE_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.template.context_processors.i18n",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "relais.core.context_processors.relais",
    "relais.notifications.context_processors.unread",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": TEMPLATE_CONTEXT_PROCESSORS,
            "builtins": ["relais.core.templatetags.relais_text",
                         "relais.core.templatetags.learnt_urls"],
        },
    },
    # The chrome, the person page and the booklet (core/jinja.py: a quarter of the time).
    {
        "BACKEND": "relais.core.jinja.Jinja2",
        "NAME": "jinja2",
        "DIRS": [SRC_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "relais.core.jinja.environment",
            "context_processors": TEMPLATE_CONTEXT_PROCESSORS,
        },
    },
]
# Django's form renderer, with selects, inputs and textareas written in Python, byte for
# byte as its templates write them (core/form_rendering.py: a fifth of a list page).
FORM_RENDERER = "relais.core.form_rendering.WidgetsInPython"

DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'relais.sqlite3'}"
# Production keeps each connection for a minute (opening one costs more than a list page:
# the work list was 1.9x faster), checked before reuse after an error or a restart.
DATABASE_PGBOUNCER = envbool("DATABASE_PGBOUNCER", False)
DATABASES = {
    "default": parse_database_url(
        envstr("DATABASE_URL", DEFAULT_DATABASE_URL),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
        conn_health_checks=True,
        # Behind PgBouncer in transaction pooling a named cursor would not outlive its
        # transaction's server connection: .iterator() fetches in chunks client-side.
        disable_server_side_cursors=DATABASE_PGBOUNCER,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Values are sent apart from the SQL (psycopg's server-side binding), so that psycopg
    # prepares a statement at its fifth use on a connection: PostgreSQL then parses and
    # plans it once per connection, not at every request. The gate's and the pages' SQL
    # is the same from one request to the next (core/kept.py), so nearly every query of
    # a page is prepared: planning was most of the database's time (docs/performance.md).
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    if DATABASE_PGBOUNCER:
        # No session state behind transaction pooling: no prepared statements (psycopg
        # takes no threshold as "never"), and no startup options, which PgBouncer
        # refuses: set jit and parallel workers on the role (README).
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
    else:
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
        # JIT compilation, and starting parallel workers, cost more than they save on
        # short interactive queries (bench/directory_search.py: p95 29 → 24 ms without
        # parallel workers). RELAIS_PG_OPTIONS replaces these, e.g. for a reporting replica.
        DATABASES["default"]["OPTIONS"]["options"] = envstr(
            "RELAIS_PG_OPTIONS", "-c jit=off -c max_parallel_workers_per_gather=0")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A read replica (docs/deploy.md, "A read replica"; relais.core.replica): the pages listed
# and the observatory's computation read from it while it is at most MAX_LAG seconds
# behind; writes, transactions, and a browser within PIN seconds of a POST, the primary.
DATABASE_REPLICA_URL = envstr("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = replica_database(DATABASE_REPLICA_URL, DATABASES["default"],
                                            pgbouncer=DATABASE_PGBOUNCER)
DATABASE_ROUTERS = ["relais.core.replica.ReplicaRouter"]
RELAIS_REPLICA_PAGES = envlist("RELAIS_REPLICA_PAGES", [
    "observatory:*", "directory:service_search", "directory:service_detail", "interop:hsds_*"])
RELAIS_REPLICA_PIN_SECONDS = envint("RELAIS_REPLICA_PIN_SECONDS", 15)
RELAIS_REPLICA_MAX_LAG_SECONDS = envint("RELAIS_REPLICA_MAX_LAG_SECONDS", 5)
# A page's query on the replica that takes longer is cut, and the page read again on the
# primary: a standby that hangs (frozen, or its PgBouncer waiting for a PostgreSQL that is
# down) after a good look at its lag. The observatory's nightly computation is not cut.
RELAIS_REPLICA_QUERY_SECONDS = envint("RELAIS_REPLICA_QUERY_SECONDS", 5)
# A request's audit event for its reads commits without waiting for the disk on
# PostgreSQL (synchronous_commit off, that transaction only): a crash of the database
# server can lose the last fraction of a second of read events, never a change's event
# (docs/audit.md). SQLite's synchronous=NORMAL above makes the same trade for everything.
AUDIT_READS_ASYNC_COMMIT = envbool("AUDIT_READS_ASYNC_COMMIT", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:home"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour: a reset link is a key to health data

# Two-factor: required for professionals in production, optional in the demo.
RELAIS_REQUIRE_2FA = envbool("RELAIS_REQUIRE_2FA", PRODUCTION)
OTP_TOTP_ISSUER = "Relais"

# Lock-out after repeated failures, per pair (account, client address): a stranger who
# types someone's address wrongly locks out only themselves. An account failing from many
# addresses is answered more slowly instead (relais.accounts.lockout). The client address
# comes from relais.core.requestcontext (the trusted proxy's X-Forwarded-For, if any).
AXES_FAILURE_LIMIT = envint("RELAIS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("RELAIS_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "relais.core.requestcontext.client_ip"
AXES_USERNAME_CALLABLE = "relais.accounts.lockout.username"
AXES_LOCKOUT_CALLABLE = "relais.accounts.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

# Sessions end after inactivity; each request extends the window, but the session is
# written at most once a minute (relais.accounts.sessions), not on every read.
SESSION_COOKIE_AGE = envint("RELAIS_SESSION_MINUTES", 30) * 60
# ... and, however busy, RELAIS_SESSION_MAX_HOURS after the login (a shift).
RELAIS_SESSION_MAX_HOURS = envint("RELAIS_SESSION_MAX_HOURS", 12)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_NAME = "relais_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Transport and cookie protection in production.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind one reverse proxy (or RELAIS_PROXY_COUNT in a row), each appending the address
# it saw to X-Forwarded-For and saying in X-Forwarded-Proto whether the client used HTTPS.
RELAIS_BEHIND_PROXY = envbool("RELAIS_BEHIND_PROXY", False)
RELAIS_PROXY_COUNT = envint("RELAIS_PROXY_COUNT", 1)
if RELAIS_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every asset is served by Relais itself: nothing from a CDN, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
# Day/month/year and a 24-hour clock in every language, shown and typed alike.
FORMAT_MODULE_PATH = ["relais.config.formats"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [SRC_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"  # never served directly: files go through the access gate
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# In development, emails are files in var/outbox (read at /outbox/): never on the network.
DEVELOPMENT_OUTBOX = VAR_DIR.absolute() / "outbox"
EMAIL_URL = envstr("EMAIL_URL", "console://" if PRODUCTION else f"file://{DEVELOPMENT_OUTBOX}")
globals().update(parse_email_url(EMAIL_URL))
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Relais <no-reply@relais.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Brussels-City is split between care zones by postcode; override as
# RELAIS_POSTCODE_ZONES="1000=centre-west,1020=north" when the official split is known.
RELAIS_POSTCODE_ZONES = envstr("RELAIS_POSTCODE_ZONES", "")

# Logs go to stderr (journald or the container keeps them), each line with the request's
# id (X-Request-ID, also in the audit log): one JSON object a line in production, text
# otherwise (RELAIS_LOG_FORMAT=json|text). RELAIS_REQUEST_LOG: a line per request, with
# the URL's pattern, never its path or query (relais.core.logs).
RELAIS_LOG_FORMAT = envstr("RELAIS_LOG_FORMAT", "json" if PRODUCTION else "text")
if RELAIS_LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"RELAIS_LOG_FORMAT: json or text, not {RELAIS_LOG_FORMAT!r}")
RELAIS_REQUEST_LOG = envbool("RELAIS_REQUEST_LOG", PRODUCTION)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "relais.core.logs.RequestIdFilter"}},
    "formatters": {"relais": {"()": "relais.core.logs.JsonFormatter"}
                   if RELAIS_LOG_FORMAT == "json" else
                   {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "relais",
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Health and metrics (docs/deploy.md, "Watch"): what /readyz checks, what /metrics adds
# to the web processes' request metrics (django-prometheus), and who may read /metrics:
# with RELAIS_METRICS_TOKEN, whoever sends it (Authorization: Bearer); without, only a
# scraper on this machine talking to Relais directly (not through the reverse proxy).
RELAIS_READINESS_CHECKS = {
    "database": "relais.core.health.database",
    "migrations": "relais.core.health.migrations",
    "worker": "relais.core.health.worker",
    "adt_listener": "relais.interop.adt.monitoring.listener",
}
RELAIS_METRICS_COLLECTORS = [
    "relais.core.health.task_metrics",
    "relais.core.health.heartbeat_metrics",
    "relais.audit.monitoring.metrics",
    "relais.interop.adt.monitoring.metrics",
    "relais.core.replica.metrics",
]
RELAIS_METRICS_TOKEN = envstr("RELAIS_METRICS_TOKEN", "")
# A worker, ADT listener or applier reports every 10 s; silent longer than this: down.
RELAIS_HEARTBEAT_STALE_SECONDS = envint("RELAIS_HEARTBEAT_STALE_SECONDS", 60)

SILENCED_SYSTEM_CHECKS: list[str] = []
CSRF_FAILURE_VIEW = "relais.core.views.csrf_failure"
RELAIS_UPLOAD_MAX_MB = envint("RELAIS_UPLOAD_MAX_MB", 5)
# The person's rights (docs/retention.md): a closed record (nothing open, or the person
# died) is anonymised after this many years without activity; Relais is a coordination
# record, not the medical file (kept 30 years by the hospital and the GP).
RELAIS_RETENTION_YEARS = envint("RELAIS_RETENTION_YEARS", 10)
if RELAIS_RETENTION_YEARS < 1:
    raise ImproperlyConfigured(
        f"RELAIS_RETENTION_YEARS must be at least 1, got {RELAIS_RETENTION_YEARS}")
# An admission within this many days of a discharge (any hospital) is a readmission.
RELAIS_READMISSION_DAYS = envint("RELAIS_READMISSION_DAYS", 30)
# The observatory's small cells (docs/observatory.md): counts under the threshold are
# shown as "<10" (never below 5), the others rounded to the nearest RELAIS_OBSERVATORY_ROUNDING.
RELAIS_OBSERVATORY_THRESHOLD = envint("RELAIS_OBSERVATORY_THRESHOLD", 10)
RELAIS_OBSERVATORY_ROUNDING = envint("RELAIS_OBSERVATORY_ROUNDING", 5)
# A form carries at most one file of RELAIS_UPLOAD_MAX_MB and 1 MB of other fields (the
# longest free text is far below); a larger form is refused before its body is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Files up to 1 MB are received in memory, larger ones in a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# The limit handler first: it stops keeping a file as soon as it passes the limit.
FILE_UPLOAD_HANDLERS = [
    "relais.core.upload_handlers.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
RELAIS_PUBLIC_DIRECTORY = envbool("RELAIS_PUBLIC_DIRECTORY", False)
# An ADT feed's health (docs/adt.md, "Watching the feeds"): quiet after this many minutes
# without a message; in error from this many refusals (AE/AR) in 24 hours; backlog when
# the inbox holds this many messages, or one older than this many seconds.
RELAIS_ADT_QUIET_MINUTES = envint("RELAIS_ADT_QUIET_MINUTES", 60)
RELAIS_ADT_ERRORS_24H = envint("RELAIS_ADT_ERRORS_24H", 5)
RELAIS_ADT_BACKLOG_WAITING = envint("RELAIS_ADT_BACKLOG_WAITING", 1000)
RELAIS_ADT_BACKLOG_SECONDS = envint("RELAIS_ADT_BACKLOG_SECONDS", 300)
# The FHIR API's system clients (docs/fhir.md): OAuth2 client credentials with SMART v2
# system scopes; a token lives five minutes, as SMART Backend Services recommends.
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "relais.interop.fhir.scopes.SmartScopes",
    # The toolkit's checks; the token loaded with its system client (one query).
    "OAUTH2_VALIDATOR_CLASS": "relais.interop.fhir.auth.TokenValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": envint("RELAIS_FHIR_TOKEN_SECONDS", 300),
    # RFC 9700 (OAuth 2.0 Security BCP) enforced, not merely warned about: no implicit or
    # password grant, no token in a URL, tokens stored as hashes, https redirects only.
    **{f"COMPLIANT_BCP_RFC9700_{gate}": True for gate in (
        "IMPLICIT_GRANT", "PASSWORD_GRANT", "PKCE_METHOD", "ACCESS_TOKEN_TRANSPORT",
        "AUTHZ_RESPONSE_ISS", "TOKEN_STORAGE", "REFRESH_TOKEN", "REDIRECT_URI_SCHEME",
        "REDIRECT_URI_MATCHING", "PKCE_REQUIRED")},
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"  # named for migrations
# Links in emails sent outside a web request (the ADT feed, the worker) start with this.
RELAIS_BASE_URL = envstr("RELAIS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
