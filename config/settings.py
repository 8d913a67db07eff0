"""Settings from the environment (12-factor), with embedded defaults for a first run.

With no variables set the project runs on SQLite, a local-memory cache and a
filesystem Celery broker, so `make run` works on a fresh machine. Secure by
default: DEBUG is off unless DEBUG=1 is set, and with DEBUG off a SECRET_KEY is
required; `make run` (scripts/local_env.sh) sets DEBUG=1 and a generated local key.
Production sets DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, SECRET_KEY and
ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = Path(os.environ.get("CONTROLPLANE_RUN_DIR", BASE_DIR / ".run"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# Off unless asked for: a deploy that forgets DEBUG must not run in debug.
DEBUG = env_bool("DEBUG", False)
_DEV_SECRET = "django-insecure-dev-only-key-do-not-use-in-production"  # noqa: S105  # nosec B105 # dev only, refused below when DEBUG=0
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEV_SECRET
# During a rotation (docs/security.md): the old keys, comma-separated, still verify.
SECRET_KEY_FALLBACKS = [
    key for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key
]
# Management commands (migrate, makemigrations, check…) run without a key; what
# serves or processes requests refuses it when DEBUG is off (config.startup), so
# a deploy that forgets SECRET_KEY fails loudly at start.
DEVELOPMENT_KEY_IN_USE = SECRET_KEY == _DEV_SECRET

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "guardian",
    "axes",
    "dashboard",
    "pipelines",
    "slos",
    "incidents",
]

MIDDLEWARE = [
    "dashboard.platform.middleware.RequestIdMiddleware",
    # Times and counts every request for the control plane's own SLOs.
    "slos.middleware.OwnSliMiddleware",
    "dashboard.platform.middleware.QueryStringMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dashboard.platform.middleware.PrimaryPinMiddleware",
    # Last, as django-axes asks: turns a lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases: primary and replica -------------------------------------------
_default_sqlite = f"sqlite:///{RUN_DIR / 'db.sqlite3'}"
_primary = dj_database_url.parse(
    os.environ.get("DATABASE_URL") or _default_sqlite, conn_max_age=60
)
if _primary["ENGINE"].endswith("sqlite3"):
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    _primary["CONN_MAX_AGE"] = 0
    # The embedded default has a web server and worker processes writing at once:
    # WAL lets readers go on during a write, and IMMEDIATE transactions take the
    # write lock up front instead of failing with "database is locked" on upgrade.
    _primary.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
_replica_url = os.environ.get("DATABASE_REPLICA_URL")
_replica = (
    dj_database_url.parse(_replica_url, conn_max_age=60)
    if _replica_url
    else dict(_primary)
)
# In tests the replica is the primary under another alias, so both routes are real.
_replica["TEST"] = {"MIRROR": "default"}
# PostgreSQL through Django's backend with psycopg's C timestamp loader
# (config/postgresql/base.py says why).
for _database in (_primary, _replica):
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "config.postgresql"
DATABASES = {"default": _primary, "replica": _replica}
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
# After a user writes, their reads stay on the primary this long (seconds).
READ_YOUR_WRITES_SECONDS = env_int("READ_YOUR_WRITES_SECONDS", 15)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Queries compiled once and run with new values (dashboard.platform.compiled):
# when true, each run also compiles the ORM's own and raises if they differ
# (the test suite turns it on).
COMPILED_SQL_CHECK = False

# --- Cache ---------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "cp")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {
                # Short timeouts: a slow Redis must cost milliseconds, not seconds.
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
# Circuit breaker around the cache: after this many failures in a row, skip the
# cache for CACHE_BREAKER_RESET_SECONDS.
CACHE_BREAKER_FAIL_MAX = env_int("CACHE_BREAKER_FAIL_MAX", 3)
CACHE_BREAKER_RESET_SECONDS = env_int("CACHE_BREAKER_RESET_SECONDS", 30)
# CSV exports a user may request per clock hour (counted in Redis; without it,
# from the ExportJob rows of the last hour). Past it the page answers 429.
EXPORTS_PER_HOUR = env_int("EXPORTS_PER_HOUR", 10)

# Sessions live in the database (primary; see the router), never only in Redis,
# and are read through the cache (a Redis GET per page, not a query), each
# cache call behind the cache breaker: docs/sessions.md. Only through a cache
# every process shares: a local-memory cache (no REDIS_URL) would keep a copy
# per process that a logout in another process does not remove.
SESSION_ENGINE = (
    "dashboard.platform.sessions"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_CACHE_SECONDS = env_int("SESSION_CACHE_SECONDS", 300)

# --- Celery --------------------------------------------------------------------
_broker_dir = RUN_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message whose worker died unacknowledged is redelivered after this.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        # How often a worker looks for such messages (seconds × throttle).
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
    }
    if os.environ.get("CELERY_BROKER_PREFIX"):
        CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = os.environ[
            "CELERY_BROKER_PREFIX"
        ]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "pipelines.*": {"queue": "ingest"},
    "github.*": {"queue": "github"},
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 660)
# How often the beat recomputes every domain's DORA summary (the overview's
# DORA column); a summary older than three times this is shown as stale.
DORA_SUMMARY_SECONDS = env_int("DORA_SUMMARY_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {
        "task": "dashboard.sweep_outbox",
        "schedule": env_int("OUTBOX_SWEEP_SECONDS", 60),
    },
    # Permission denials are counted per minute in Redis; this moves them into
    # PermissionDenialMinute (the permission-denials SLO's data).
    "roll-up-permission-denials": {
        "task": "dashboard.roll_up_permission_denials",
        "schedule": env_int("DENIAL_ROLLUP_SECONDS", 60),
    },
    "refresh-rollups": {
        "task": "dashboard.refresh_rollups",
        "schedule": env_int("ROLLUP_REFRESH_SECONDS", 60),
    },
    "purge-idempotency-keys": {
        "task": "pipelines.purge_idempotency_keys",
        "schedule": 3600,
    },
    "evaluate-slos": {
        "task": "slos.evaluate",
        "schedule": env_int("SLO_EVALUATE_SECONDS", 60),
    },
    # SLI points and hourly sums older than SLI_RETENTION_DAYS are deleted.
    "prune-sli-points": {"task": "slos.prune", "schedule": 3600},
    # The control plane's own SLIs, counted per minute in Redis, into SLI points.
    "flush-own-slis": {
        "task": "slos.flush_own",
        "schedule": env_int("OWN_SLI_FLUSH_SECONDS", 60),
    },
    # Pin rollouts: advance after the hold, roll back on a guard SLO burn.
    "check-pin-rollouts": {
        "task": "pipelines.pins_rollouts_check",
        "schedule": env_int("PIN_ROLLOUT_CHECK_SECONDS", 60),
    },
    # Every schema target with a DSN variable is introspected (docs/drift.md).
    "introspect-schema-targets": {
        "task": "pipelines.drift_introspect_all",
        "schedule": env_int("DRIFT_INTROSPECT_SECONDS", 900),
    },
    # Every domain's DORA keys over the last 30 days, for the overview.
    "refresh-dora-summaries": {
        "task": "incidents.dora_summaries_refresh",
        "schedule": DORA_SUMMARY_SECONDS,
    },
}
# Idempotency-Key answers are replayed for this many days, then forgotten.
IDEMPOTENCY_KEY_DAYS = env_int("IDEMPOTENCY_KEY_DAYS", 7)
# Outbox rows older than this without being processed are enqueued again.
OUTBOX_STALE_SECONDS = env_int("OUTBOX_STALE_SECONDS", 120)
# A row enqueued this many times without being processed is marked failed (a
# poison message that kills its worker must not be re-sent for ever).
OUTBOX_MAX_ENQUEUES = env_int("OUTBOX_MAX_ENQUEUES", 10)

# Schema drift (docs/drift.md): introspection runs read-only and stops a query
# after this long; proofs run on throwaway databases made on the control plane's
# PostgreSQL server, or on DRIFT_SCRATCH_DATABASE_URL's (its user needs CREATEDB).
DRIFT_STATEMENT_TIMEOUT_MS = env_int("DRIFT_STATEMENT_TIMEOUT_MS", 15_000)
DRIFT_PROOF_STATEMENT_TIMEOUT_MS = env_int("DRIFT_PROOF_STATEMENT_TIMEOUT_MS", 60_000)
DRIFT_SCRATCH_DATABASE_URL = os.environ.get("DRIFT_SCRATCH_DATABASE_URL", "")

# How long an SLO alert webhook may take to answer before the post is retried.
SLO_WEBHOOK_TIMEOUT_SECONDS = env_int("SLO_WEBHOOK_TIMEOUT_SECONDS", 10)
# SLI points (any interval, minute data typically) and their hourly sums are kept
# this long: 13 months, so a year can be compared with the year before.
SLI_RETENTION_DAYS = env_int("SLI_RETENTION_DAYS", 396)

# --- GitHub --------------------------------------------------------------------
GITHUB_TOKEN = os.environ.get("GITHUB_TOKEN", "")
GITHUB_API_URL = os.environ.get("GITHUB_API_URL", "https://api.github.com")
GITHUB_WEBHOOK_SECRET = os.environ.get("GITHUB_WEBHOOK_SECRET", "")
# During a rotation (docs/security.md) the old secret is accepted too, until every
# GitHub hook signs with the new one; then unset it.
GITHUB_WEBHOOK_SECRET_PREVIOUS = os.environ.get("GITHUB_WEBHOOK_SECRET_PREVIOUS", "")
GITHUB_TIMEOUT_SECONDS = env_int("GITHUB_TIMEOUT_SECONDS", 10)
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# The control plane's own repository (OWNER/NAME): when GitHub reports a successful
# deployment of it, the panel caches are warmed (see docs/dashboard.md).
CONTROLPLANE_REPOSITORY = os.environ.get("CONTROLPLANE_REPOSITORY", "")

# --- Incidents (docs/incidents.md) -----------------------------------------------
# Monitor webhooks: each a comma-separated list, so a rotation can accept both.
# PagerDuty v3 signs with HMAC-SHA256 (X-PagerDuty-Signature); the others send
# a shared token (Alertmanager: bearer credentials; Opsgenie: an Authorization
# custom header; Statuspage: ?token= in the subscriber URL).
PAGERDUTY_WEBHOOK_SECRET = os.environ.get("PAGERDUTY_WEBHOOK_SECRET", "")
ALERTMANAGER_WEBHOOK_TOKEN = os.environ.get("ALERTMANAGER_WEBHOOK_TOKEN", "")
OPSGENIE_WEBHOOK_TOKEN = os.environ.get("OPSGENIE_WEBHOOK_TOKEN", "")
STATUSPAGE_WEBHOOK_TOKEN = os.environ.get("STATUSPAGE_WEBHOOK_TOKEN", "")
# Environments that count as production for DORA unless a repository names its
# own (python manage.py set_production_environments); docs/dora.md.
DORA_PRODUCTION_ENVIRONMENTS = [
    name.strip()
    for name in os.environ.get("DORA_PRODUCTION_ENVIRONMENTS", "production,prod").split(
        ","
    )
    if name.strip()
]

# --- Auth ----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+IP before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with the user row read through the cache
    # (docs/sessions.md). Sessions signed in through ModelBackend before it
    # replaced it sign in once more.
    "dashboard.domains.backends.CachedModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:domain-list"
LOGOUT_REDIRECT_URL = "login"
# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one
# username from one IP address, that pair is refused (429, the locked-out page)
# for AXES_COOLOFF_MINUTES, even with the right password; a success resets the
# count. Keyed on the pair, so an attacker elsewhere cannot lock a user out.
# Unlock sooner: `manage.py axes_reset_username NAME` (docs/platform.md).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind reverse proxies: how many of them append to X-Forwarded-For; the client
# address (lockouts) is then read from that header (config/client_ip.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- i18n, static --------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "dashboard.platform.staticfinders.PackageFileFinder",  # plotly.min.js from plotly
]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", RUN_DIR / "media"))
# /bench/noop, the benchmarks' baseline view, answers only when this is on.
BENCHMARK_ENDPOINTS = env_bool("BENCHMARK_ENDPOINTS", False)
DATA_UPLOAD_MAX_MEMORY_SIZE = 26_214_400  # GitHub's webhook maximum, 25 MB

# --- Security (production) -----------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content-Security-Policy (django-csp) on every response: scripts only from our
# own static files (htmx and plotly.js are served locally), so no inline <script>,
# no on*= handlers, no eval. plotly.js draws scatter and bar traces without eval,
# so no 'unsafe-eval'. Styles only from our files, plus the two <style> elements
# plotly.js creates when it loads, allowed by hash rather than 'unsafe-inline':
# its empty global sheet (filled through the CSSOM, which CSP allows) and the
# MapLibre CSS it bundles. The second hash changes with the plotly version: the
# browser tests fail on any violation, so an upgrade that needs a new hash shows.
# htmx's injected indicator style is off (base.html's htmx-config), in app.css.
PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # "" (global sheet)
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # MapLibre, plotly 7.1.0
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, "'report-sample'"],
        "style-src": [SELF, *PLOTLY_STYLE_HASHES],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Logging: structured JSON, request id on every line ------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "config.logging.json_formatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}
