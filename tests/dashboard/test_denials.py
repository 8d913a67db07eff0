"""Denials are counted per minute in Redis and rolled up into the database: a
flood of anonymous refusals costs no database write per request, authenticated
users' refusals keep their detailed row, and nothing is lost without Redis."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.domains import services
from dashboard.models import PermissionDenial, PermissionDenialMinute
from tests.factories import DomainFactory, UserFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/budgets"


def _roll_up_all() -> int:
    return services.permission_denials_roll_up(
        before=timezone.now() + timedelta(minutes=2)
    )


def _counted(**filters) -> int:
    total = PermissionDenialMinute.objects.filter(**filters).aggregate(n=Sum("count"))
    return total["n"] or 0


def test_a_flood_of_anonymous_401s_writes_nothing_per_request(client):
    client.get(URL)  # the first of the minute may keep a sample row
    with CaptureQueriesContext(connection) as queries:
        for _ in range(99):
            assert client.get(URL).status_code == 401
    writes = [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")
    ]
    # At most one sample row, should the minute turn during the loop.
    assert len(writes) <= 1, writes
    assert PermissionDenial.objects.count() <= 2
    assert _counted() == 0  # still in Redis
    assert _roll_up_all() >= 1
    assert _counted(action="ingest.ci", status_code=401, domain=None) == 100
    assert _roll_up_all() == 0  # drained: a second run adds nothing
    assert _counted() == 100


def test_authenticated_denials_keep_their_row_and_are_counted(client):
    domain = DomainFactory()
    viewer = UserFactory()
    member(viewer, domain, "viewer")
    client.force_login(viewer)
    url = reverse("dashboard:token-list", args=[domain.slug])
    for _ in range(3):
        assert client.post(url, {"name": "x", "scopes": ["ci"]}).status_code == 403
    rows = PermissionDenial.objects.filter(user=viewer, action="manage_tokens")
    assert rows.count() == 3
    _roll_up_all()
    assert _counted(domain=domain, action="manage_tokens", status_code=403) == 3


def test_the_current_minute_waits_and_late_counts_are_kept():
    domain = DomainFactory()
    for _ in range(2):
        services.permission_denial_record(
            user=None, action="ingest.ci", domain=domain, path="/x", status_code=403
        )
    assert (
        services.permission_denials_roll_up(
            before=timezone.now() - timedelta(minutes=5)
        )
        == 0
    )
    assert _counted() == 0
    _roll_up_all()
    services.permission_denial_record(
        user=None, action="ingest.ci", domain=domain, path="/x", status_code=403
    )
    _roll_up_all()
    assert _counted(domain=domain, action="ingest.ci", status_code=403) == 3
    assert PermissionDenialMinute.objects.count() <= 2  # one row per minute


@pytest.fixture
def dead_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        }
    }


def test_without_redis_every_denial_is_counted_in_the_database(client, dead_redis):
    for _ in range(5):
        assert client.get(URL).status_code == 401
    assert _counted(action="ingest.ci", status_code=401) == 5
    # One write per refusal, as before: the minute's count, no detailed row.
    assert not PermissionDenial.objects.exists()
    assert services.permission_denials_roll_up() == 0


def test_beat_rolls_the_counts_up_every_minute():
    from config.celery import app

    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "dashboard.roll_up_permission_denials"
    )
    assert entry["schedule"] <= 60
    assert "dashboard.roll_up_permission_denials" in app.tasks
