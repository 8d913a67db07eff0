"""The dashboard does not contradict itself (issue 15): tables dated like the
charts beside them, breaches marked, axes fitted to the range, "as of" on each
panel, points that drill down, the browser's unknown range, auto-refresh."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.dashboard_panels.test_views import HX, figures, point_links
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


def _panel(client, domain, slug: str, **params) -> str:
    url = reverse("dash:dashboard-panel", args=[domain.slug, slug])
    return client.get(url, {"range": "24h", **params}, **HX).content.decode()


def test_broken_commits_are_dated_when_measured_like_the_chart(
    engineer_client, domain, build
):
    from pipelines.gates.models import PerfBudget

    PerfBudget.objects.create(domain=domain, scenario="search", p95_ms_max=250)
    build.everything(6)  # samples measured 3 hours ago, verdicts changed just now
    html = _panel(engineer_client, domain, "perf")
    measured = (timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%d %H")
    evaluated = timezone.now().strftime("%Y-%m-%d %H:%M")
    table = html[html.index("Commits that broke") :]
    assert f">{measured}" in table  # the evidence's own time, as the chart
    assert evaluated not in table
    assert "Dated when the evidence was measured" in html
    assert "when the sample was measured" in html  # the panel says which time
    # The commit links to its page.
    assert f'href="/d/{domain.slug}/commits/' in table


def test_a_breach_is_marked_at_the_buckets_worst_value(engineer_client, domain, build):
    from pipelines.gates.models import PerfBudget

    # search's p95 in one hour: 201, 203, 205 — on average (203) within 204,
    # at worst (205) over it: the average must not hide the breach.
    PerfBudget.objects.create(domain=domain, scenario="search", p95_ms_max=204)
    build.perf(6)
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    fig = figures(_panel(engineer_client, domain, "perf"))["fig-perf-p95"]
    marks = [t for t in fig["data"] if t["name"] == "Over budget"]
    assert marks and marks[0]["mode"] == "markers"
    assert marks[0]["y"] == [205]
    search = next(t for t in fig["data"] if t["name"] == "search")
    assert [v for v in search["y"] if v is not None] == [203]


def test_axes_span_the_range_and_ticks_follow_it(engineer_client, domain, build):
    build.runs(1)  # one point only
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    day = figures(_panel(engineer_client, domain, "ci-health"))["fig-ci-pass-rate"]
    xaxis = day["layout"]["xaxis"]
    start, end = xaxis["range"]
    assert start < end and start[:10] <= end[:10]
    assert xaxis["tickformat"].startswith("%H:%M")
    assert "title" not in xaxis  # no x title to collide with the ticks
    assert day["layout"]["yaxis"]["automargin"] is True
    assert day["data"][0]["marker"]["size"] >= 7  # a lone point shows
    month = figures(_panel(engineer_client, domain, "ci-health", range="30d"))
    assert month["fig-ci-pass-rate"]["layout"]["xaxis"]["tickformat"] == "%b %d"


def test_each_panel_says_as_of_when(engineer_client, domain, build):
    build.everything(2)
    for slug in ("ci-health", "perf", "query-plans", "gates", "ingestion", "slos"):
        html = _panel(engineer_client, domain, slug)
        assert "as of <time" in html, slug


def test_chart_points_and_failing_rows_drill_down_to_our_pages(
    engineer_client, domain, build
):
    build.runs(6, conclusion_every=2)
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    html = _panel(engineer_client, domain, "ci-health")
    fig = figures(html)["fig-ci-pass-rate"]
    [link, *_] = point_links(fig["data"][0])
    assert link.startswith("runs/?workflow=")
    assert f'data-base="/d/{domain.slug}/"' in html
    assert f'href="/d/{domain.slug}/runs/' in html  # a failing row: our run page
    assert f'href="/d/{domain.slug}/commits/' in html  # its SHA: the commit page
    assert engineer_client.get(f"/d/{domain.slug}/{link}").status_code == 200


def test_the_ingestion_panel_shows_unmapped_deliveries_to_staff_only(
    client, domain, build
):
    build.deliveries(3)
    build.deliveries(4, unmapped=True)
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    viewer = UserFactory()
    member(viewer, domain, "viewer")
    client.force_login(viewer)
    html = _panel(client, domain, "ingestion")
    assert "<strong>3</strong> deliveries received" in html
    assert "unmapped" not in html.lower()
    chart = figures(html)["fig-ingestion"]
    assert not [t for t in chart["data"] if "nmapped" in t["name"]]
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert "<strong>4</strong> deliveries from unmapped" in _panel(
        client, domain, "ingestion"
    )


def test_an_unknown_range_in_a_browser_renders_the_page_with_the_reason(
    engineer_client, domain
):
    url = reverse("dash:dashboard", args=[domain.slug])
    page = engineer_client.get(url, {"range": "1y"}, HTTP_ACCEPT="text/html")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    text = page.content.decode()
    assert 'role="alert"' in text and "24h, 7d, 30d, 90d" in text
    assert "Showing the last 7 days instead" in text
    assert 'id="panel-ci-health"' in text  # the page itself is there


def test_auto_refresh_is_kept_in_the_url_and_polls_each_panel(engineer_client, domain):
    url = reverse("dash:dashboard", args=[domain.slug])
    off = engineer_client.get(url, {"range": "24h"}).content.decode()
    assert "Auto-refresh: off" in off and "refresh=1" in off
    on = engineer_client.get(url, {"range": "24h", "refresh": "1"}).content.decode()
    assert "Auto-refresh: on" in on
    assert "range=24h&amp;refresh=1" in on  # the panels load with it
    panel = _panel(engineer_client, domain, "ci-health", refresh="1")
    assert 'hx-trigger="every 60s"' in panel and "data-auto-refresh" in panel
    assert 'hx-trigger="every 60s"' not in _panel(engineer_client, domain, "ci-health")


def test_a_custom_range_of_days_is_kept_in_the_url_and_bounds_every_panel(
    engineer_client, domain, build
):
    from dashboard.board.rollups import rollups_refresh

    now = timezone.now()
    today = now.date()
    old = today - timedelta(days=10)
    # Ten days ago, around noon (UTC): whatever the time of day the test runs,
    # none of them falls on the day before (the builder spreads runs over the
    # 50 minutes before the hour it is given).
    noon = datetime(old.year, old.month, old.day, 12, tzinfo=UTC)
    build.runs(4, hours_ago=2)  # today, or yesterday just after midnight
    build.runs(3, hours_ago=(now - noon).total_seconds() / 3600)
    rollups_refresh()
    days = {"from": old.isoformat(), "to": old.isoformat()}
    html = _panel(engineer_client, domain, "ci-health", range="", **days)
    assert "3 completed runs" in html  # only that day's
    assert f"{old:%Y-%m-%d} to {old:%Y-%m-%d}" in html
    fig = figures(html)["fig-ci-pass-rate"]
    assert fig["layout"]["xaxis"]["range"][0].startswith(old.isoformat())
    week = {"from": (today - timedelta(days=12)).isoformat(), "to": today.isoformat()}
    assert "7 completed runs" in _panel(
        engineer_client, domain, "ci-health", range="", **week
    )
    page = engineer_client.get(
        reverse("dash:dashboard", args=[domain.slug]), days
    ).content.decode()
    assert f"from={old:%Y-%m-%d}&amp;to={old:%Y-%m-%d}" in page  # panels load it
    assert f'value="{old:%Y-%m-%d}"' in page  # the form shows it


@pytest.mark.parametrize(
    "days",
    [
        {"from": "2026-13-01", "to": "2026-12-01"},
        {"from": "2026-11-10", "to": "2026-11-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"from": "2026-11-01"},
        {"from": "2999-01-01", "to": "2999-01-02"},
        {"from": "x" * 500, "to": "2026-01-01"},
    ],
)
def test_a_bad_custom_range_is_a_400_saying_why(engineer_client, domain, days):
    url = reverse("dash:dashboard-panel", args=[domain.slug, "ci-health"])
    response = engineer_client.get(url, days, **HX)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]


def test_deployments_are_drawn_on_the_time_charts_and_link_their_commit(
    engineer_client, domain, build, repositories
):
    from dashboard.board.rollups import rollups_refresh
    from pipelines.models import Deployment

    build.runs(3)
    rollups_refresh()
    sha = "d" * 40
    Deployment.objects.create(
        repository=repositories[0],
        domain=domain,
        external_id=1,
        environment="production",
        sha=sha,
        created_at=timezone.now() - timedelta(hours=1),
    )
    fig = figures(_panel(engineer_client, domain, "ci-health"))["fig-ci-pass-rate"]
    deploys = next(t for t in fig["data"] if t["name"] == "Deployments")
    assert deploys["customdata"] == [f"commits/{sha}/"]
    assert deploys["text"] == ["deploy production ddddddd"]
    assert fig["layout"]["shapes"][0]["line"]["dash"] == "dot"
    assert engineer_client.get(f"/d/{domain.slug}/commits/{sha}/").status_code == 200
