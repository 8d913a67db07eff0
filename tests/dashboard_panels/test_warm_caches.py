"""warm_caches fills every panel's cache, so the next visit builds nothing."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dashboard.board.panels import PANELS
from tests.factories import UserFactory
from tests.support.queries import assert_num_queries

pytestmark = pytest.mark.django_db


def test_warm_caches_then_panels_are_served_from_the_cache(
    engineer_client, domain, build, capsys
):
    build.everything(5)
    UserFactory(username="ops-root", is_staff=True, is_superuser=True)
    call_command("warm_caches", "--range", "7d", "--range", "24h")
    out = capsys.readouterr().out
    assert f"Warmed {2 * (1 + len(PANELS))} page(s); 0 failed." in out
    # The shell (not cached) warms this process's content-type lookups.
    engineer_client.get(reverse("dash:dashboard", args=[domain.slug]))
    for i, slug in enumerate(PANELS):
        url = reverse("dash:dashboard-panel", args=[domain.slug, slug])
        # (the first time) the domain: no panel query, and the session and
        # the user come from the cache (read by the shell's request above)
        with assert_num_queries(0 if i else 1):
            response = engineer_client.get(
                url, {"range": "24h"}, HTTP_HX_REQUEST="true"
            )
        assert response.status_code == 200


def test_warm_caches_needs_a_superuser(domain):
    with pytest.raises(CommandError, match="No active superuser"):
        call_command("warm_caches")
