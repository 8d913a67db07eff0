"""A reviewer approves a pin proposal from its page, in a real browser: the
review area is replaced by htmx with the new status, and the proposer could not."""

import re

import pytest
from playwright.sync_api import expect

from pipelines.pins.models import Review
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member
from tests.pins.factories import pin_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def test_a_reviewer_approves_from_the_proposal_page(page, live_server, log_in):
    domain = DomainFactory(slug="payments", name="Payments")
    repository = RepositoryFactory(domain=domain, full_name="acme/payments-api")
    pks = pin_world(domain, repository, pin_id="checkout-summary")
    rita = UserFactory(username="rita")
    member(rita, domain, "reviewer")

    log_in(page, rita)
    page.goto(f"{live_server.url}/d/payments/proposals/{pks['proposal']}/")
    expect(page.get_by_role("heading", name="warmer summary")).to_be_visible()
    expect(page.locator("#review-status")).to_have_attribute("data-state", "pending")
    expect(page.get_by_text("temperature raised: 0.3 → 0.9")).to_be_visible()

    page.get_by_label("Approved").check()
    page.get_by_label("Comment").fill("Warmer reads better.")
    page.get_by_role("button", name="Submit review").click()

    expect(page.locator("#review-status")).to_have_attribute("data-state", "success")
    expect(page.locator("#review-status")).to_contain_text("1 of 1 approvals")
    expect(page.locator('[data-reviewer="rita"]')).to_contain_text(
        "Warmer reads better."
    )
    # htmx swapped the review area only: the page never navigated away.
    expect(page).to_have_url(re.compile(rf"/proposals/{pks['proposal']}/$"))
    assert Review.objects.get().reviewer == rita
