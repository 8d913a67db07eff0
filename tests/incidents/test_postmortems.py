"""Postmortems from the template, action items with states (open ones on the
domain dashboard until done), learnings stored as draft proposals."""

import pytest
from django.urls import reverse

from incidents.models import ActionItem, DraftProposal, Postmortem
from tests.factories import DomainFactory, UserFactory, member
from tests.incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def domain():
    return DomainFactory()


@pytest.fixture
def engineer(client, domain):
    user = UserFactory()
    member(user, domain, "engineer")
    client.force_login(user)
    return user


def url(incident):
    return reverse(
        "incidents:incident-detail", args=[incident.domain.slug, incident.pk]
    )


def panel(client, domain) -> str:
    from django.core.cache import cache

    cache.clear()  # the panel is cached; the test wants the fresh state
    return client.get(
        reverse("dash:dashboard-panel", args=[domain.slug, "incidents"])
    ).content.decode()


def test_the_postmortem_follows_the_template_and_is_shown(client, domain, engineer):
    incident = IncidentFactory(domain=domain)
    response = client.post(
        url(incident),
        {
            "form": "postmortem",
            "summary": "Checkout failed for 42 minutes.",
            "root_cause": "A connection pool of 5 — «too small».",
            "went_well": "Paging worked.",
        },
    )
    assert response.status_code == 302
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.root_cause == "A connection pool of 5 — «too small»."
    html = client.get(url(incident)).content.decode()
    for label in (
        "Summary",
        "Impact",
        "Root cause",
        "Trigger",
        "Detection",
        "What went well",
        "What went badly",
    ):
        assert label in html
    assert "Postmortem written" in html


def test_action_items_have_states_and_open_ones_show_on_the_dashboard(
    client, domain, engineer
):
    incident = IncidentFactory(domain=domain, title="Refunds stuck")
    client.post(
        url(incident),
        {
            "form": "action_item",
            "title": "Alert on queue depth",
            "owner": "Zoë",
            "due_on": "2024-02-29",
        },
    )
    client.post(url(incident), {"form": "action_item", "title": "Raise pool size"})
    assert ActionItem.objects.filter(domain=domain, state="open").count() == 2
    html = panel(client, domain)
    assert "Alert on queue depth" in html and "2024-02-29" in html
    item = ActionItem.objects.get(title="Alert on queue depth")
    response = client.post(
        url(incident), {"form": "action_item_state", "item": item.pk, "state": "done"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == "done"
    html = panel(client, domain)
    assert "Alert on queue depth" not in html and "Raise pool size" in html


def test_an_action_item_of_another_incident_cannot_be_changed_here(
    client, domain, engineer
):
    mine = IncidentFactory(domain=domain)
    other = IncidentFactory(domain=DomainFactory())
    from incidents.services.postmortems import action_item_add

    foreign = action_item_add(
        incident=other, title="Not yours", owner="", due_on=None, author="x"
    )
    response = client.post(
        url(mine), {"form": "action_item_state", "item": foreign.pk, "state": "done"}
    )
    assert response.status_code == 422
    foreign.refresh_from_db()
    assert foreign.state == "open"


@pytest.mark.parametrize("kind", ["generator", "pin"])
def test_a_learning_becomes_a_draft_proposal_listed_on_the_dashboard(
    client, domain, engineer, kind
):
    incident = IncidentFactory(domain=domain, title="Wrong tax rounding")
    client.post(
        url(incident),
        {
            "form": "learning",
            "kind": kind,
            "title": "Generate Decimal money fields",
            "rationale": "Floats rounded VAT wrongly during the incident.",
        },
    )
    proposal = DraftProposal.objects.get()
    assert (proposal.kind, proposal.incident, proposal.author) == (
        kind,
        incident,
        engineer,
    )
    assert proposal.state == "draft"
    html = panel(client, domain)
    assert "Generate Decimal money fields" in html and "Wrong tax rounding" in html
    # The same draft waits in the pins review flow, pointing back at the incident.
    pinned = proposal.pin_proposal
    assert (pinned.domain, pinned.state, pinned.title) == (
        domain,
        "draft",
        "Generate Decimal money fields",
    )
    assert pinned.source_url == incident.get_absolute_url()
    assert "Wrong tax rounding" in pinned.rationale
    review_page = client.get(
        reverse("pins:proposal", args=[domain.slug, pinned.pk])
    ).content.decode()
    assert incident.get_absolute_url() in review_page
    assert reverse("pins:proposal", args=[domain.slug, pinned.pk]) in html


def test_bad_forms_are_422_and_change_nothing(client, domain, engineer):
    incident = IncidentFactory(domain=domain)
    assert (
        client.post(
            url(incident),
            {"form": "learning", "kind": "magic", "title": "t", "rationale": "r"},
        ).status_code
        == 422
    )
    assert (
        client.post(url(incident), {"form": "action_item", "title": ""}).status_code
        == 422
    )
    assert (
        client.post(
            url(incident), {"form": "action_item", "title": "x", "due_on": "2026-02-30"}
        ).status_code
        == 422
    )
    assert (
        client.post(url(incident), {"form": "note", "text": "a\x00b"}).status_code
        == 422
    )
    assert not DraftProposal.objects.exists() and not ActionItem.objects.exists()
