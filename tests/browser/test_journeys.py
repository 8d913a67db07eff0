"""The main journeys, in a real browser: log in, see only your domains, open one,
create a token and see it once, and a viewer who cannot."""

import re

import pytest
from playwright.sync_api import expect

from dashboard.domains import services
from dashboard.models import IngestToken, Membership, PermissionDenial, Service
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient_expect():
    """The full suite runs beside these on two busy cores: wait for pages longer
    than Playwright's 5 s before calling an assertion failed."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default, for other tests


@pytest.fixture
def domains():
    mine = DomainFactory(slug="payments", name="Payments", description="Cards")
    theirs = DomainFactory(slug="search", name="Search SECRET", description="")
    Service.objects.create(domain=mine, slug="checkout-api", name="Checkout API")
    RepositoryFactory(domain=mine, full_name="acme/payments-api")
    RepositoryFactory(domain=theirs, full_name="acme/search-secret")
    return mine, theirs


def test_log_in_and_see_only_your_domains(page, live_server, log_in, domains):
    mine, theirs = domains
    engineer = UserFactory(username="eve")
    member(engineer, mine, "engineer")

    page.goto(f"{live_server.url}/d/payments/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/d/payments/"))
    log_in(page, engineer)

    nav = page.get_by_role("navigation", name="Domains")
    expect(nav.get_by_role("link", name="Payments")).to_be_visible()
    expect(
        page.get_by_role("main").get_by_role("link", name="Payments")
    ).to_be_visible()
    assert "SECRET" not in page.content()

    # Someone else's domain is "not found", like one that does not exist.
    response = page.goto(f"{live_server.url}/d/search/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert "SECRET" not in page.content() and "search-secret" not in page.content()
    assert PermissionDenial.objects.filter(domain=theirs, user=engineer).count() == 1


def test_open_a_domain_create_a_token_and_see_it_once(
    page, live_server, log_in, domains
):
    mine, _ = domains
    engineer = UserFactory(username="eve")
    member(engineer, mine, "engineer")
    log_in(page, engineer)

    page.get_by_role("main").get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", name=re.compile("^Payments"))).to_be_visible()
    expect(page.get_by_text("Checkout API")).to_be_visible()
    expect(page.get_by_text("acme/payments-api", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Engineer")).to_be_visible()

    tokens = page.locator("#tokens")
    tokens.get_by_label("Name").fill("GitHub Actions")
    # No scope: the 422 answer is swapped in with the error, the name kept.
    tokens.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Choose at least one scope.")).to_be_visible()
    expect(page.locator("#tokens").get_by_label("Name")).to_have_value("GitHub Actions")
    assert not IngestToken.objects.exists()

    tokens = page.locator("#tokens")
    tokens.get_by_label("CI runs").check()
    tokens.get_by_role("button", name="Create token").click()

    secret_box = page.get_by_label("New token")
    expect(secret_box).to_be_visible()
    plaintext = secret_box.input_value()
    assert plaintext.startswith("cpi_")
    # htmx swapped the section in place: same address, no full page load.
    expect(page).to_have_url(f"{live_server.url}/d/payments/")
    token = IngestToken.objects.get(name="GitHub Actions")
    assert services.ingest_token_resolve(plaintext) == token
    assert plaintext not in repr(list(IngestToken.objects.values_list()))
    expect(page.locator(f"#token-{token.pk}")).to_contain_text("ci")

    page.reload()
    expect(page.locator(f"#token-{token.pk}")).to_contain_text(f"cpi_{token.prefix}_")
    expect(page.get_by_label("New token")).to_have_count(0)
    assert plaintext not in page.content()


@pytest.mark.parametrize("browser_context_args", [{"java_script_enabled": False}])
def test_token_creation_works_without_javascript(page, live_server, log_in, domains):
    mine, _ = domains
    admin = UserFactory(username="alice")
    member(admin, mine, "admin")
    log_in(page, admin)
    page.goto(f"{live_server.url}/d/payments/")
    tokens = page.locator("#tokens")
    tokens.get_by_label("Name").fill("Jenkins")
    tokens.get_by_label("Incident reports").check()
    tokens.get_by_role("button", name="Create token").click()

    expect(page).to_have_url(f"{live_server.url}/d/payments/tokens/")
    plaintext = page.get_by_label("New token").input_value()
    assert services.ingest_token_resolve(plaintext).scopes == ["incidents"]
    page.goto(f"{live_server.url}/d/payments/")
    assert plaintext not in page.content()


def test_a_viewer_cannot_create_a_token(page, live_server, log_in, domains):
    mine, _ = domains
    viewer = UserFactory(username="victor")
    member(viewer, mine, "viewer")
    log_in(page, viewer)
    page.goto(f"{live_server.url}/d/payments/")
    expect(page.get_by_role("heading", name=re.compile("^Payments"))).to_be_visible()
    expect(page.get_by_role("button", name="Create token")).to_have_count(0)
    expect(page.locator("#tokens")).to_have_count(0)

    # Posting anyway, with a valid session and CSRF token: refused and counted.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/d/payments/tokens/",
        form={"name": "sneaky", "scopes": "ci"},
        headers={"X-CSRFToken": csrf, "Referer": f"{live_server.url}/d/payments/"},
    )
    assert response.status == 403
    assert "does not let you create and revoke ingest tokens" in response.text()
    assert not IngestToken.objects.filter(name="sneaky").exists()
    assert PermissionDenial.objects.get(user=viewer).status_code == 403


def test_an_admin_changes_a_role_in_place(page, live_server, log_in, domains):
    mine, _ = domains
    admin = UserFactory(username="alice")
    member(admin, mine, "admin")
    victor = UserFactory(username="victor")
    membership = member(victor, mine, "viewer")
    log_in(page, admin)
    page.goto(f"{live_server.url}/d/payments/")

    row = page.locator(f"#member-{membership.pk}")
    row.get_by_label("Role of victor").select_option("engineer")
    row.get_by_role("button", name="Change role of victor").click()
    expect(page.locator(f"#member-{membership.pk}")).to_contain_text("Now Engineer.")
    membership.refresh_from_db()
    assert membership.role == "engineer"

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="membership.role")).to_be_visible()
    assert Membership.objects.filter(domain=mine).count() == 2


@pytest.mark.parametrize(
    "browser_context_args", [{"viewport": {"width": 360, "height": 740}}]
)
def test_usable_at_phone_width_with_visible_focus(page, live_server, log_in, domains):
    mine, _ = domains
    admin = UserFactory(username="alice")
    member(admin, mine, "admin")
    services.ingest_token_create(domain=mine, name="ci", scopes=["ci", "slo"])
    log_in(page, admin)
    page.goto(f"{live_server.url}/d/payments/")
    # Nothing wider than the screen: no sideways scrolling.
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.textContent, s.outlineStyle, s.outlineWidth]; })()"
    )
    assert focused[0] == "Skip to content"
    assert focused[1] == "solid" and focused[2] == "3px"
