"""Sessions live in the database and are read through the cache
(dashboard.platform.sessions): a page reads no session row, a logout ends the
session everywhere, and with Redis down signing in and out still works."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboard.platform import caching
from tests.factories import UserFactory
from tests.platform.test_cache import dead_redis  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

PAGE = "/"


def _cache_key(client: Client) -> str:
    return "django.contrib.sessions.cached_db" + client.cookies["sessionid"].value


def test_a_page_reads_the_session_from_the_cache_not_the_database(client):
    client.force_login(UserFactory())
    with CaptureQueriesContext(connections["default"]) as queries:
        assert client.get(PAGE).status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"]]
    # The row is there all the same: the cache holds a copy, for a while.
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    assert 0 < cache.ttl(_cache_key(client)) <= settings.SESSION_CACHE_SECONDS


def test_a_session_missing_from_the_cache_is_read_from_the_database(client):
    client.force_login(UserFactory())
    cache.delete(_cache_key(client))
    with CaptureQueriesContext(connections["default"]) as queries:
        assert client.get(PAGE).status_code == 200
    assert [q for q in queries if "django_session" in q["sql"]]
    assert cache.get(_cache_key(client)) is not None  # and cached again


def test_a_logout_ends_the_session_for_whoever_holds_its_cookie(client):
    client.force_login(UserFactory())
    stolen = Client()
    stolen.cookies["sessionid"] = client.cookies["sessionid"].value
    assert stolen.get(PAGE).status_code == 200
    assert client.post("/logout/").status_code in (200, 302)
    response = stolen.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]


def test_with_redis_down_people_sign_in_browse_and_sign_out(dead_redis):  # noqa: F811
    caching.breaker.close()
    client = Client()
    client.force_login(UserFactory())
    assert client.get(PAGE).status_code == 200
    assert client.post("/logout/").status_code in (200, 302)
    response = client.get(PAGE)
    assert response.status_code == 302 and "login" in response["Location"]
    caching.breaker.close()


@pytest.mark.parametrize(
    ("redis_url", "engine"),
    [
        ("redis://127.0.0.1:6379/0", "dashboard.platform.sessions"),
        # Without Redis the cache is each process's memory: a copy there would
        # outlive a logout served by another process, so none is kept.
        (None, "django.contrib.sessions.backends.db"),
    ],
)
def test_sessions_are_read_through_the_cache_only_when_processes_share_it(
    redis_url, engine
):
    env = {
        k: v
        for k, v in {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "a-test-secret-" + "k" * 40,
            "REDIS_URL": redis_url,
        }.items()
        if v is not None
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.SESSION_ENGINE)",
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout.strip() == engine


def _user_queries(client: Client) -> list[str]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(PAGE)
    assert response.status_code == 200
    row = 'FROM "auth_user" WHERE "auth_user"."id" ='
    return [q["sql"] for q in (*primary, *replica) if row in q["sql"]]


def test_the_signed_in_user_is_read_from_the_cache_until_anything_changes_it(client):
    """The user row of a signed-in page comes from the cache (the session
    from Redis, the user too: a warm panel reads nothing from PostgreSQL),
    and a change to the user is read from the database on the next page."""
    user = UserFactory(username="ann")
    client.force_login(user)
    client.get(PAGE)
    assert _user_queries(client) == []
    user.username = "ann-renamed"
    user.save()
    assert _user_queries(client)  # read again at once
    assert "ann-renamed" in client.get(PAGE).content.decode()


def test_a_new_password_or_a_deactivation_ends_a_cached_users_sessions():
    user = UserFactory()
    for change in ("password", "deactivate"):
        client = Client()
        client.force_login(user)
        assert client.get(PAGE).status_code == 200
        assert client.get(PAGE).status_code == 200  # now from the cache
        if change == "password":
            user.set_password("a-brand-new-password-9")
        else:
            user.is_active = False
        user.save()
        response = client.get(PAGE)
        assert response.status_code == 302 and "login" in response["Location"], change
        user.is_active = True
        user.save()
