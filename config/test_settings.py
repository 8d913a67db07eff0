"""Settings for the test suite: the real settings, pointed at real PostgreSQL and
Redis by default (overridable by DATABASE_URL / REDIS_URL), isolated per xdist
worker so parallel runs never share a database, a cache key or a broker queue."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/controlplane")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("GITHUB_WEBHOOK_SECRET", "test-webhook-secret")
os.environ.setdefault("PAGERDUTY_WEBHOOK_SECRET", "test-pagerduty-secret")
os.environ.setdefault("ALERTMANAGER_WEBHOOK_TOKEN", "test-alertmanager-token")
os.environ.setdefault("OPSGENIE_WEBHOOK_TOKEN", "test-opsgenie-token")
os.environ.setdefault("STATUSPAGE_WEBHOOK_TOKEN", "test-statuspage-token")
os.environ.setdefault("CELERY_VISIBILITY_TIMEOUT", "8")
os.environ.setdefault("CELERY_UNACKED_RESTORE_INTERVAL", "1")
os.environ.setdefault("CELERY_UNACKED_RESTORE_THROTTLE", "1")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

# One namespace per test database and xdist worker. The controller process and each
# xdist worker compute their own (overwriting what they inherited); a Celery worker
# started by a test (CONTROLPLANE_TEST_CHILD=1) keeps its parent's.
if os.environ.get("CONTROLPLANE_TEST_CHILD") != "1":
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    _db = os.environ["DATABASE_URL"].rsplit("/", 1)[-1].split("?")[0]
    _ns = f"{_db}-{_worker}"
    # The broker gets a Redis database per xdist worker (1–15): kombu's key prefix
    # alone does not keep two workers from restoring each other's unacked messages.
    _index = int(_worker[2:]) if _worker.startswith("gw") else 0
    _broker = os.environ.get("TEST_BROKER_REDIS", "redis://127.0.0.1:6379")
    # Two suites running at once on one machine set different offsets.
    _offset = int(os.environ.get("TEST_BROKER_DB_OFFSET", "0"))
    os.environ["CELERY_BROKER_URL"] = f"{_broker}/{1 + (_offset + _index) % 15}"
    os.environ["CACHE_KEY_PREFIX"] = f"test-{_ns}"
    os.environ["CELERY_BROKER_PREFIX"] = f"test-{_ns}:"

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every query compiled once is also compiled by the ORM and compared.
COMPILED_SQL_CHECK = True
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "django.contrib.staticfiles.storage.StaticFilesStorage"
)
