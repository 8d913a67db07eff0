"""Issue 15 in a real browser: the overview ranks the domain with a firing alert
first and every cell opens its page; the dashboard shows times in the viewer's
timezone (with a UTC switch), never glued dates, "as of" on every panel, chart
points that drill down, an unknown range as a page with the reason, and
auto-refresh kept in the URL; the first hour's settings and CI snippets."""

import re

import pytest
from playwright.sync_api import expect

from dashboard.board.panels import PANELS
from tests.dashboard_panels.conftest import Builder
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GLUED_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\d{2}:\d{2}")


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def browser_context_args() -> dict:
    # India is UTC+05:30: a time shown in the viewer's zone cannot pass for UTC.
    return {"viewport": {"width": 1280, "height": 900}, "timezone_id": "Asia/Kolkata"}


def _domain(slug: str, name: str) -> Builder:
    domain = DomainFactory(slug=slug, name=name)
    return Builder(domain, [RepositoryFactory(domain=domain, full_name=f"acme/{slug}")])


def test_the_overview_ranks_a_firing_alert_first_and_drills_down(
    page, live_server, log_in
):
    calm, burning = _domain("alpha", "Alpha"), _domain("zulu", "Zulu")
    calm.runs(6, conclusion_every=100)
    burning.runs(6, conclusion_every=100)
    burning.slos(1)
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    user = UserFactory(username="olga")
    member(user, calm.domain, "viewer")
    member(user, burning.domain, "viewer")
    log_in(page, user)
    rows = page.locator("#overview tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-domain", "zulu")
    expect(rows.first).to_contain_text("1 firing")
    assert not GLUED_DATE.search(page.locator("main").inner_text())
    rows.first.get_by_role("link", name="1 firing").click()
    expect(page).to_have_url(re.compile(r"/d/zulu/slos/$"))
    page.go_back()
    rows.nth(1).get_by_role("link", name="100.0 %").click()
    expect(page).to_have_url(
        re.compile(r"/d/alpha/dashboard/\?range=7d#panel-ci-health$")
    )
    expect(page.locator("#panel-ci-health[data-panel]")).to_be_visible()


def test_the_dashboard_tells_one_story_in_the_viewers_timezone(
    page, live_server, log_in
):
    b = _domain("glance-payments", "Glance payments")
    b.everything(8)
    b.runs(12, hours_ago=3, conclusion_every=2)
    from dashboard.board.rollups import rollups_refresh

    rollups_refresh()
    engineer = UserFactory(username="eve")
    member(engineer, b.domain, "engineer")
    log_in(page, engineer)
    page.goto(f"{live_server.url}/d/glance-payments/dashboard/?range=24h")
    for slug in PANELS:
        expect(page.locator(f"#panel-{slug}[data-panel] .as-of time")).to_be_visible()
    expect(page.locator("#panel-ci-health .js-plotly-plot svg").first).to_be_visible()
    main = page.locator("main")
    assert not GLUED_DATE.search(main.inner_text())

    # Times in the viewer's zone (UTC+05:30), and in UTC after the switch.
    first_time = page.locator("#failing-runs tbody time").first
    stamp = first_time.get_attribute("datetime")
    shown = first_time.inner_text()
    assert "UTC" not in shown and shown[-2:] == str(
        (int(stamp[14:16]) + 30) % 60
    ).zfill(2)
    page.get_by_role("button", name="Times: local").click()
    expect(first_time).to_have_text(f"{stamp[:10]} {stamp[11:16]} UTC")
    page.get_by_role("button", name="Times: UTC").click()
    expect(first_time).to_have_text(shown)

    # A chart point opens the runs behind it (clicked where plotly drew it).
    point = page.locator(
        "#panel-ci-health .js-plotly-plot .scatterlayer path.point"
    ).first
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(r"/d/glance-payments/runs/\?workflow="))
    expect(page.locator("main table tbody tr").first).to_be_visible()
    assert not GLUED_DATE.search(page.locator("main").inner_text())
    assert not re.search(r"-\d+ s\b", page.locator("main").inner_text())

    # A failing run's row opens our run page, whose title is its heading.
    page.goto(f"{live_server.url}/d/glance-payments/dashboard/?range=24h")
    page.locator("#failing-runs tbody tr td:nth-child(3) a").first.click()
    expect(page).to_have_url(re.compile(r"/d/glance-payments/runs/\d+/$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    assert page.title().startswith(heading.split(" attempt")[0])


def test_an_unknown_range_and_auto_refresh(page, live_server, log_in):
    b = _domain("search", "Search")
    b.runs(3)
    engineer = UserFactory(username="sam")
    member(engineer, b.domain, "engineer")
    log_in(page, engineer)
    response = page.goto(f"{live_server.url}/d/search/dashboard/?range=1y")
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("range must be one of")
    expect(page.locator("#panel-ci-health[data-panel]")).to_be_visible()
    page.get_by_role("link", name="Auto-refresh: off").click()
    expect(page).to_have_url(re.compile(r"refresh=1"))
    expect(page.locator("#panel-ci-health[data-auto-refresh]")).to_be_visible()
    expect(
        page.get_by_role("link", name="Auto-refresh: on (every minute)")
    ).to_be_visible()


def test_an_admin_maps_a_repository_and_copies_a_ci_snippet(page, live_server, log_in):
    domain = DomainFactory(slug="onboarding", name="Onboarding")
    admin = UserFactory(username="ada")
    member(admin, domain, "admin")
    log_in(page, admin)
    page.goto(f"{live_server.url}/d/onboarding/")
    page.get_by_role("navigation", name="Domain pages").get_by_role(
        "link", name="Settings"
    ).click()
    expect(page.locator("#webhook-url")).to_have_text(
        f"{live_server.url}/api/v1/webhooks/github"
    )
    page.get_by_label("Repository").fill("acme/onboarding-web")
    page.get_by_role("button", name="Map repository").click()
    expect(page.get_by_role("status")).to_contain_text("acme/onboarding-web is mapped")
    page.goto(f"{live_server.url}/d/onboarding/")
    page.locator("#tokens input[name=name]").fill("GitHub Actions")
    page.locator("#tokens input[name=scopes][value=ci]").check()
    page.get_by_role("button", name="Create token").click()
    snippet = page.locator("#ci-snippets pre").first
    expect(snippet).to_be_visible()
    expect(snippet).to_contain_text("repository=acme/onboarding-web")
    expect(snippet).to_contain_text("export CONTROLPLANE_TOKEN='cpi_")
