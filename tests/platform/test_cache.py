"""Schema-versioned keys, TTLs in one place, and a breaker when Redis is down."""

import pybreaker
import pytest

from dashboard.platform import caching


@pytest.mark.django_db
def test_cached_value_is_built_once_then_served_from_redis():
    calls = []

    def build():
        calls.append(1)
        return {"pass_rate": 0.97}

    assert caching.cached("panel.gates", "payments", build=build) == {"pass_rate": 0.97}
    assert caching.cached("panel.gates", "payments", build=build) == {"pass_rate": 0.97}
    assert len(calls) == 1


@pytest.mark.django_db
def test_keys_carry_the_schema_version_and_change_with_it():
    key = caching.cache_key("panel.gates", "payments")
    assert key.startswith(caching.schema_version() + ":")
    caching._schema_version = "0ldschema000"
    try:
        assert caching.cache_key("panel.gates", "payments") != key
    finally:
        caching.reset_schema_version()


@pytest.mark.django_db
def test_answers_kept_until_a_change_are_cached_only_in_a_shared_cache(settings):
    """The navigation and a user's access are renewed by a change in whatever
    process makes it: with Redis they are cached; with a cache per process
    (a bare `make run`) they are built on every call, so a domain renamed from
    the worker or a shell shows on the next page of every server process."""
    calls = []

    def build():
        calls.append(1)
        return [("payments", "Payments")]

    def ask():
        return caching.cached_if_current(
            "domain.nav", 7, version="domain.access_version", build=build
        )

    assert ask() == ask() == [("payments", "Payments")]
    assert len(calls) == 1
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    assert ask() == ask() == [("payments", "Payments")]
    assert len(calls) == 3


def test_every_cached_thing_declares_a_ttl():
    with pytest.raises(KeyError, match="has no TTL"):
        caching.cache_key("panel.not-declared")


@pytest.fixture
def dead_redis(settings):
    """Point the cache at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }
    # Django resets its cache handlers when CACHES changes; `cache` follows.
    yield


@pytest.mark.django_db
def test_pages_answer_when_redis_is_down_and_the_breaker_opens(dead_redis, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    built = []
    for _ in range(caching.breaker.fail_max):
        value = caching.cached("panel.gates", "x", build=lambda: built.append(1) or 42)
        assert value == 42
    assert caching.breaker.current_state == pybreaker.STATE_OPEN

    # Once open, no request waits for Redis: the client is not even called.
    redis_calls = []
    real_get = caching.cache.get
    caching.cache.get = lambda *a, **k: redis_calls.append(a) or real_get(*a, **k)
    try:
        for _ in range(20):
            assert caching.cached("panel.gates", "x", build=lambda: 42) == 42
    finally:
        del caching.cache.get
    assert redis_calls == []

    assert client.get("/").status_code == 200
    ready = client.get("/readyz").json()
    assert ready["checks"]["cache"] == "degraded"
