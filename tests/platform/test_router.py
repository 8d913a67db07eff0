"""Reads go to the replica, writes to the primary, and a writer reads its writes."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from config import db_router
from dashboard.models import Domain
from tests.factories import DomainFactory, UserFactory


def aliases_used(call) -> dict[str, int]:
    contexts = {
        a: CaptureQueriesContext(connections[a]) for a in ("default", "replica")
    }
    for ctx in contexts.values():
        ctx.__enter__()
    try:
        call()
    finally:
        for ctx in contexts.values():
            ctx.__exit__(None, None, None)
    return {alias: len(ctx.captured_queries) for alias, ctx in contexts.items()}


@pytest.mark.django_db(databases=["default", "replica"])
def test_reads_go_to_the_replica_and_writes_to_the_primary():
    db_router.unpin()
    DomainFactory(slug="payments")
    db_router.unpin()
    used = aliases_used(lambda: list(Domain.objects.all()))
    assert used == {"default": 0, "replica": 1}

    used = aliases_used(lambda: Domain.objects.create(slug="search", name="Search"))
    assert used["default"] >= 1 and used["replica"] == 0


@pytest.mark.django_db(databases=["default", "replica"])
def test_after_a_write_the_same_context_reads_from_the_primary():
    db_router.unpin()

    def write_then_read():
        Domain.objects.create(slug="fresh", name="Fresh")
        assert Domain.objects.filter(slug="fresh").exists()

    used = aliases_used(write_then_read)
    assert used["replica"] == 0
    db_router.unpin()


@pytest.mark.django_db(databases=["default", "replica"])
def test_a_user_who_just_wrote_reads_from_the_primary_on_the_next_request(
    client, settings
):
    from dashboard.domains import services

    settings.READ_YOUR_WRITES_SECONDS = 30
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    domain = DomainFactory()
    services.membership_set(user=user, domain=domain, role="admin")
    db_router.unpin()

    # A plain GET by someone who has not written: the page reads the replica.
    used = aliases_used(lambda: client.get("/"))
    assert used["replica"] > 0

    # A write (the logout POST is a write to the session) sets the pin cookie.
    response = client.post("/logout/")
    assert "cp_primary_until" in response.cookies
    client.force_login(user)
    used = aliases_used(lambda: client.get("/"))
    assert used["replica"] == 0, "a user who just wrote must read from the primary"


@pytest.mark.django_db(databases=["default", "replica"])
def test_the_pin_expires_after_the_window(client, settings, monkeypatch):
    import time as time_module

    settings.READ_YOUR_WRITES_SECONDS = 5
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    client.post("/logout/")
    client.force_login(user)
    real_time = time_module.time
    monkeypatch.setattr(
        "dashboard.platform.middleware.time.time", lambda: real_time() + 60
    )
    used = aliases_used(lambda: client.get("/"))
    assert used["replica"] > 0
