"""Query counts: the dashboard and each panel run the same number of queries with
N rows as with 2N, cached or not, and a cached panel reads nothing from the
database (the session, the user and the user's access to the domain come from
the cache)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from dashboard.board.annotations import ANNOTATION_SOURCES
from dashboard.board.panels import PANELS
from dashboard.platform.caching import schema_version
from tests.support.queries import assert_constant_queries, assert_num_queries

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
# with nothing cached: the user, the domain looked up through guardian's
# permissions (the session is read from the cache: dashboard.platform.sessions)
REQUEST_OVERHEAD = 2
# a panel once the user (dashboard.domains.backends) and the user's access to
# the domain are cached: nothing
CACHED_ACCESS_OVERHEAD = 0
# a full page, the user cached: the domain through guardian's permissions (the
# navigation's list of the user's domains is read once and then cached per
# user, tests/dashboard/test_views.py: renewed on any change)
PAGE_OVERHEAD = 1
# What each panel reads when it is built (rollups, budgets, lists): see the
# panel modules; a change here is a change in the panel's cost.
BUILD_QUERIES = {
    # ...and each time chart's deployments (drawn as marks on it)
    "ci-health": 4,  # repositories, CI rollups, first page of failing runs
    "perf": 4,  # perf rollups, budgets, failed perf verdicts
    "query-plans": 4,  # plan rollups, budgets, failed query-plan verdicts
    "gates": 3,  # repositories with their default-branch head, open PRs, verdicts
    "flaky": 1,
    "ingestion": 3,  # ingestion rollups, dead letters waiting, planner row counts
    "slos": 5,  # SLOs, window sums (last two hours, window heads, whole hours), open alerts
    # domain, repositories, incidents, production environments, deployments
    # with outcomes, commits, first CI runs of the deployed commits
    "dora": 7,
    "incidents": 3,  # open incidents, open action items, draft proposals
    "pins": 2,  # current pins with their versions, proposals open first
    "drift": 3,  # schema targets, their drifts, their pull requests
}


def _clear_cache() -> None:
    """Forget every cached panel and access answer (the session stays)."""
    cache.delete_pattern(f"{schema_version()}:*")


def test_dashboard_shell_is_constant(engineer_client, domain, build):
    url = reverse("dash:dashboard", args=[domain.slug])
    engineer_client.get(url)  # per-process lookups (content types, schema version)
    count = assert_constant_queries(
        build.everything, lambda: engineer_client.get(url, {"range": "30d"})
    )
    assert count == PAGE_OVERHEAD


@pytest.mark.parametrize("slug", list(PANELS))
def test_each_panel_is_constant_cold(engineer_client, domain, build, slug):
    url = reverse("dash:dashboard-panel", args=[domain.slug, slug])

    def cold() -> None:
        _clear_cache()
        assert engineer_client.get(url, {"range": "90d"}, **HX).status_code == 200

    cold()  # per-process lookups (content types, schema version)
    count = assert_constant_queries(build.everything, cold)
    # ...and a time-chart panel reads each annotation source once (incidents,
    # pin moves), however many events and charts.
    annotations = len(ANNOTATION_SOURCES) if PANELS[slug].annotated else 0
    assert count == REQUEST_OVERHEAD + BUILD_QUERIES[slug] + annotations


@pytest.mark.parametrize("slug", list(PANELS))
def test_a_cached_panel_reads_no_panel_data(engineer_client, domain, build, slug):
    build.everything(8)
    url = reverse("dash:dashboard-panel", args=[domain.slug, slug])
    first = engineer_client.get(url, {"range": "7d"}, **HX)
    with assert_num_queries(CACHED_ACCESS_OVERHEAD):
        second = engineer_client.get(url, {"range": "7d"}, **HX)
    assert second.content == first.content


def test_a_removed_member_loses_the_domain_at_once(client, domain, build):
    """Which domains a user may see is cached, and forgotten the moment their
    membership (or any permission, user or domain) changes."""
    from dashboard.domains.models import Membership
    from dashboard.domains.services import membership_remove, membership_set
    from tests.factories import UserFactory, member

    build.flaky(3)
    user = UserFactory(username="vic-viewer")
    member(user, domain, "viewer")
    client.force_login(user)
    url = reverse("dash:dashboard-panel", args=[domain.slug, "flaky"])
    assert client.get(url, **HX).status_code == 200
    with assert_num_queries(CACHED_ACCESS_OVERHEAD):
        assert client.get(url, **HX).status_code == 200
    membership_remove(membership=Membership.objects.get(user=user, domain=domain))
    assert client.get(url, **HX).status_code == 404
    membership_set(user=user, domain=domain, role="viewer")
    assert client.get(url, **HX).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(url, **HX).status_code in (302, 404)


def test_failing_runs_pages_are_constant(engineer_client, domain, build):
    from dashboard.board.panels.common import RANGES
    from pipelines.ingest.panels.ci_health import failing_runs_page

    build.runs(60, conclusion_every=2)
    cursor = failing_runs_page(domain.pk, RANGES["24h"], None).next_cursor
    url = reverse("dash:dashboard-panel", args=[domain.slug, "ci-health"])
    engineer_client.get(url, {"range": "24h", "cursor": cursor}, **HX)
    count = assert_constant_queries(
        lambda n: build.runs(30 * n, conclusion_every=2),
        lambda: engineer_client.get(url, {"range": "24h", "cursor": cursor}, **HX),
    )
    assert count == CACHED_ACCESS_OVERHEAD + 1
