"""Issue 15's remaining drill-down in a real browser: a performance point opens
its commit's page, an incident drawn on the CI chart opens the incident, and
the settings page is a domain admin's alone (an engineer sees no link to it)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


def _click(page, locator) -> None:
    """Click where plotly drew the point (plotly listens on its drag layer, not
    on the point's path)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_a_perf_point_opens_its_commit_page(page, live_server, log_in):
    from dashboard.board.rollups import rollups_refresh
    from pipelines.models import PerfSample

    domain = DomainFactory(slug="drill-perf", name="Drill perf")
    repository = RepositoryFactory(domain=domain, full_name="acme/drill-perf")
    # Two scenarios in the same hour, one commit each: the chart's unified hover
    # reports both points on a click, and the one clicked must open.
    for scenario, sha, p95 in (
        ("alpha slow", "a" * 40, 412.0),
        ("zeta 🛒", "4" * 40, 212.5),
    ):
        sample = PerfSample.objects.create(
            domain=domain,
            repository=repository,
            scenario=scenario,
            commit_sha=sha,
            branch="main",
            p50_ms=p95 / 3,
            p95_ms=p95,
            p99_ms=p95 * 2,
            sample_count=50,
        )
        PerfSample.objects.filter(pk=sample.pk).update(
            created_at=timezone.now() - timedelta(hours=3)
        )
    rollups_refresh()
    engineer = UserFactory(username="pia")
    member(engineer, domain, "engineer")
    log_in(page, engineer)
    page.goto(f"{live_server.url}/d/drill-perf/dashboard/?range=24h")
    chart = page.locator("#panel-perf .js-plotly-plot").first
    traces = chart.locator(".cartesianlayer .xy .scatterlayer .trace")
    expect(traces).to_have_count(2)
    _click(page, traces.nth(1).locator("path.point").first)  # zeta, the lower
    expect(page).to_have_url(
        re.compile(rf"/d/drill-perf/commits/{'4' * 40}/\?repository=acme%2Fdrill-perf$")
    )
    measured = page.locator("#commit-perf")
    expect(measured).to_contain_text("zeta 🛒")
    expect(measured).to_contain_text("212.5")


def test_an_incident_on_the_ci_chart_opens_the_incident(page, live_server, log_in):
    from dashboard.board.rollups import rollups_refresh
    from incidents.models import Incident
    from tests.dashboard_panels.conftest import Builder

    domain = DomainFactory(slug="drill-inc", name="Drill incidents")
    builder = Builder(domain, [RepositoryFactory(domain=domain)])
    builder.runs(6, hours_ago=6)
    rollups_refresh()
    incident = Incident.objects.create(
        domain=domain,
        source="api",
        external_id="inc-1",
        title="Payments API «slow»",
        severity="SEV2",
        status="acknowledged",
        started_at=timezone.now() - timedelta(hours=4),
    )
    viewer = UserFactory(username="vic")
    member(viewer, domain, "viewer")
    log_in(page, viewer)
    page.goto(f"{live_server.url}/d/drill-inc/dashboard/?range=24h")
    chart = page.locator("#panel-ci-health .js-plotly-plot").first
    expect(chart.locator(".legendtext", has_text="Incidents")).to_be_visible()
    # The incident's marker is drawn on the overlaid axis along the top.
    marker = chart.locator(".overplot .xy2 .scatterlayer path.point").first
    _click(page, marker)
    expect(page).to_have_url(re.compile(rf"/d/drill-inc/incidents/{incident.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payments API «slow»")
    # Under the charts, the same event is a link for keyboards and screen readers.
    page.go_back()
    events = page.locator("#panel-ci-health details.chart-events")
    events.locator("summary").click()
    expect(
        events.get_by_role("link", name=re.compile("SEV2 incident"))
    ).to_have_attribute("href", f"/d/drill-inc/incidents/{incident.pk}/")


def test_an_engineer_sees_no_settings_link_and_is_refused_the_page(
    page, live_server, log_in
):
    domain = DomainFactory(slug="drill-settings", name="Drill settings")
    engineer, admin = UserFactory(username="eng"), UserFactory(username="adm")
    member(engineer, domain, "engineer")
    member(admin, domain, "admin")
    log_in(page, engineer)
    page.goto(f"{live_server.url}/d/drill-settings/")
    pages = page.get_by_role("navigation", name="Domain pages")
    expect(pages.get_by_role("link", name="CI runs")).to_be_visible()
    expect(pages.get_by_role("link", name="Settings")).to_have_count(0)
    response = page.goto(f"{live_server.url}/d/drill-settings/settings/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("change the domain's settings")
    # The domain's admin has the link, and the page.
    page.context.clear_cookies()
    log_in(page, admin)
    page.goto(f"{live_server.url}/d/drill-settings/")
    page.get_by_role("navigation", name="Domain pages").get_by_role(
        "link", name="Settings"
    ).click()
    expect(page).to_have_url(re.compile(r"/d/drill-settings/settings/$"))
    expect(page.locator("#webhook-url")).to_be_visible()
