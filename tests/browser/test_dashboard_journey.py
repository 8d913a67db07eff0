"""An engineer opens a domain's dashboard in a real browser: every panel draws its
chart, the time range changes through htmx and stays in the URL, and the failing
runs page back through their cursor."""

import re

import pytest
from playwright.sync_api import expect

from dashboard.board.panels import PANELS
from tests.dashboard_panels.conftest import Builder
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient_expect():
    """Six panels load at once on a busy two-core machine: give them time."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default, for other tests


CHARTED = {"ci-health": 2, "perf": 2, "query-plans": 1, "ingestion": 1}


def test_engineer_reads_the_dashboard_changes_range_and_pages_runs(
    page, live_server, log_in
):
    domain = DomainFactory(slug="payments", name="Payments")
    repos = [
        RepositoryFactory(domain=domain, full_name="acme/payments-api"),
        RepositoryFactory(domain=domain, full_name="acme/refunds"),
    ]
    builder = Builder(domain, repos)
    builder.everything(12)
    builder.runs(60, hours_ago=3, conclusion_every=2)  # 30 + 4 failing runs
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    engineer = UserFactory(username="eve")
    member(engineer, domain, "engineer")
    log_in(page, engineer)

    page.get_by_role("main").get_by_role("link", name="Payments").click()
    page.get_by_role("main").get_by_role("link", name="Dashboard").first.click()
    expect(page).to_have_url(re.compile(r"/d/payments/dashboard/$"))
    expect(page.get_by_role("heading", name="Payments dashboard")).to_be_visible()

    # Every panel replaces its placeholder; charted panels draw plotly figures.
    for slug in PANELS:
        expect(page.locator(f"#panel-{slug}[data-panel]")).to_be_visible()
    for slug, charts in CHARTED.items():
        expect(page.locator(f"#panel-{slug} .js-plotly-plot")).to_have_count(charts)
    expect(page.locator("#panel-ci-health .js-plotly-plot svg").first).to_be_visible()
    # A table view for each chart.
    page.locator("#panel-ci-health summary").first.click()
    expect(page.locator("#panel-ci-health details table").first).to_be_visible()

    # Change the time range: the URL follows, the panels reload for 24 hours.
    page.get_by_role("navigation", name="Time range").get_by_role(
        "link", name="24 hours"
    ).click()
    expect(page).to_have_url(re.compile(r"/d/payments/dashboard/\?range=24h$"))
    expect(page.locator("#panel-ci-health h2")).to_contain_text("last 24 hours")
    expect(page.locator("#panel-ci-health .js-plotly-plot")).to_have_count(2)
    link = page.get_by_role("link", name="24 hours")
    expect(link).to_have_attribute("aria-current", "page")

    # Page back through the failing runs (10 a page, keyset cursor).
    rows = page.locator("#failing-runs tbody tr")
    expect(rows).to_have_count(10)
    seen = set(rows.locator("code").all_inner_texts())
    pages = 1
    while page.locator("#failing-runs a.older").count():
        first = rows.locator("code").first.inner_text()
        page.locator("#failing-runs a.older").click()
        expect(rows.locator("code").first).not_to_have_text(first)
        seen |= set(rows.locator("code").all_inner_texts())
        pages += 1
        assert pages < 10
    assert pages >= 3
    assert len(seen) >= 25

    # Reloading keeps the range (it is in the URL).
    page.reload()
    expect(page.locator("#panel-ci-health h2")).to_contain_text("last 24 hours")


def test_a_viewer_of_another_domain_gets_not_found(page, live_server, log_in):
    DomainFactory(slug="payments", name="Payments")
    other = DomainFactory(slug="search", name="Search")
    viewer = UserFactory(username="vic")
    member(viewer, other, "viewer")
    log_in(page, viewer)
    response = page.goto(f"{live_server.url}/d/payments/dashboard/")
    assert response.status == 404
