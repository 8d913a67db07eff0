"""pytest plugin: the `fake_github` fixture. Use `pytest_plugins = ["tests.fakes.plugin"]`."""

import pytest

from tests.fakes.github_server import FakeGitHub


@pytest.fixture
def fake_github(settings):
    """A running fake GitHub; settings point the adapter at it."""
    fake = FakeGitHub().start()
    settings.GITHUB_API_URL = fake.url
    settings.GITHUB_TOKEN = fake.token
    yield fake
    fake.stop()


@pytest.fixture
def github_worker(transactional_db, worker_log, fake_github, settings):
    """A real Celery worker whose GitHub is the fake one (and whose uploads
    folder is this test's, so it reads the files the test uploaded)."""
    from tests.support.worker import WorkerProcess, purge_broker

    purge_broker()
    process = WorkerProcess(
        worker_log,
        extra_env={
            "GITHUB_API_URL": fake_github.url,
            "GITHUB_TOKEN": fake_github.token,
            "PUBLIC_BASE_URL": "https://cp.example.org",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        },
    ).start()
    yield process
    process.stop()
