"""Shared fixtures: real services, a real Celery worker, shared test data."""

import os
import sys
import uuid
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT.parent / "shared" / "testdata"

# Hypothesis explores at random on developers' machines; in CI (CI=true) it runs a
# fixed set of examples so a submission's result does not depend on luck.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

sys.path.insert(0, str(ROOT / "scripts"))
from check_services import unreachable  # noqa: E402


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = unreachable()
    if problems:
        pytest.exit(
            "The tests need real services:\n" + "\n".join(problems), returncode=2
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Database tests may use both aliases: reads go to `replica` (a mirror of
    `default` in tests), so a test that only allowed `default` would be refused."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and "databases" not in marker.kwargs:
            item.add_marker(
                pytest.mark.django_db(
                    *marker.args, databases="__all__", **marker.kwargs
                ),
                append=False,
            )


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_teardown(django_db_setup, django_db_blocker):
    """Close every connection (workers' included) so the test databases can be
    dropped at the end of the session."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()


@pytest.fixture(autouse=True)
def _replica_sees_the_test_transaction(request):
    """In a (non-transactional) database test everything happens inside one
    uncommitted transaction on `default`. The `replica` alias gets its own wrapper
    (so queries are still counted per alias) over the same DB-API connection, so
    it reads what the test wrote, as a real replica would after it caught up."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connections

    default, replica = connections["default"], connections["replica"]
    default.ensure_connection()
    saved = replica.connection
    replica.connection = default.connection
    replica.close = lambda: None  # never close the shared connection
    try:
        yield
    finally:
        replica.connection = saved
        del replica.close


@pytest.fixture
def testdata() -> Path:
    """../shared/testdata: real files other projects published. Fails loudly if absent."""
    if not TESTDATA.is_dir():
        pytest.fail(
            f"{TESTDATA} is absent. These tests read real published files from "
            "../shared/testdata (beside the checkout); restore that folder to run them.",
            pytrace=False,
        )
    return TESTDATA


@pytest.fixture(autouse=True)
def _fresh_cache_and_breaker(settings):
    """Each test starts with an empty cache namespace and a closed breaker."""
    from django.core.cache import cache

    from dashboard.platform.caching import breaker

    breaker.close()
    try:
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern("*")
        else:
            cache.clear()
    except redis.exceptions.ConnectionError:
        pass  # a test that points the cache at a dead server sets it up itself
    yield
    breaker.close()


@pytest.fixture
def redis_store():
    import os

    return redis.Redis.from_url(os.environ["REDIS_URL"])


@pytest.fixture
def unique_key() -> str:
    return f"test:{uuid.uuid4().hex}"


@pytest.fixture
def worker_log(tmp_path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def celery_worker(transactional_db, worker_log):
    """A real `celery worker` on the test database and the Redis broker."""
    from tests.support.worker import WorkerProcess, purge_broker

    purge_broker()
    process = WorkerProcess(worker_log).start()
    yield process
    process.stop()
