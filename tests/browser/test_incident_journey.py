"""An on-call engineer in a real browser: a PagerDuty incident arrives, they
open its page from the dashboard panel, add a note and a milestone, write the
postmortem, add an action item and mark a learning; a viewer only reads."""

import json
import re

import pytest
from playwright.sync_api import expect

from incidents.models import ActionItem, DraftProposal, Milestone
from incidents.services import monitors
from tests.factories import DomainFactory, UserFactory, member
from tests.incidents.conftest import payload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _patient_expect():
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def incident(client):
    domain = DomainFactory(slug="payments", name="Payments")
    monitors.source_map(source="pagerduty", key="PSVC123", domain=domain)
    for name in (
        "pagerduty_v3__incident.triggered.json",
        "pagerduty_v3__incident.acknowledged.json",
    ):
        body = payload(name)
        received = monitors.monitor_delivery_receive(
            source="pagerduty", body=body, payload=json.loads(body)
        )
        monitors.monitor_delivery_process(delivery_id=received.obj.pk)
    return domain.incidents.get()


def test_on_call_engineer_works_the_incident_page(page, live_server, log_in, incident):
    engineer = UserFactory(username="oncall")
    member(engineer, incident.domain, "engineer")
    log_in(page, engineer)
    page.goto(f"{live_server.url}/d/payments/dashboard/", wait_until="domcontentloaded")
    panel_link = page.get_by_role("link", name=re.compile("Checkout API: 5xx"))
    expect(panel_link).to_be_visible()
    panel_link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout API: 5xx")
    expect(page.get_by_text("Status triggered → acknowledged")).to_be_visible()

    page.get_by_label("Note").fill("Paged the database team — «EU»")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Paged the database team — «EU»")).to_be_visible()

    page.get_by_role("textbox", name="Milestone", exact=True).fill("Root cause found")
    page.get_by_label(re.compile("^At")).fill("2026-03-02T10:15:00Z")
    page.get_by_role("button", name="Add milestone").click()
    expect(page.get_by_text("Milestone: Root cause found")).to_be_visible()
    assert Milestone.objects.filter(incident=incident).count() == 1

    page.get_by_text("Write the postmortem (template)").click()
    page.get_by_label("Root cause").fill("The pool was too small.")
    page.get_by_role("button", name="Save the postmortem").click()
    expect(
        page.get_by_role("definition").filter(has_text="The pool was too small.")
    ).to_be_visible()

    page.locator("#item_title").fill("Alert on pool saturation")
    page.get_by_role("button", name="Add action item").click()
    expect(
        page.get_by_role("cell", name="Alert on pool saturation", exact=True)
    ).to_be_visible()
    assert ActionItem.objects.get().state == "open"

    page.get_by_label("Kind").select_option("pin")
    page.locator("#learning_title").fill("Pin the SQL prompt that pools connections")
    page.get_by_label("Rationale").fill("The outage came from the data layer.")
    page.get_by_role("button", name="Propose the change").click()
    expect(
        page.get_by_role(
            "cell", name="Pin the SQL prompt that pools connections", exact=True
        )
    ).to_be_visible()
    assert DraftProposal.objects.get().kind == "pin"


def test_a_viewer_reads_the_incident_without_forms(page, live_server, log_in, incident):
    viewer = UserFactory(username="watcher")
    member(viewer, incident.domain, "viewer")
    log_in(page, viewer)
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout API")
    expect(page.get_by_role("button", name="Add note")).to_have_count(0)
