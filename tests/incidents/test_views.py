"""Incident pages: the list and one incident (timeline, milestones, deployments
in the hour before, runs and SLO alerts in the window); notes and milestones
from the page for engineers; constant query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import Milestone, TimelineEntry
from incidents.services.incidents import incident_note_add
from incidents.services.postmortems import action_item_add, learning_propose
from slos.models import Slo, SloAlert
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member
from tests.incidents.factories import DeploymentFactory, IncidentFactory
from tests.pipelines.factories import RunFactory
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def domain():
    return DomainFactory()


def login(client, domain, role):
    user = UserFactory()
    member(user, domain, role)
    client.force_login(user)
    return user


def detail_url(incident):
    return reverse(
        "incidents:incident-detail", args=[incident.domain.slug, incident.pk]
    )


def test_the_page_shows_what_happened_around_the_incident(client, domain):
    login(client, domain, "viewer")
    incident = IncidentFactory(domain=domain, title="Checkout down")
    repository = RepositoryFactory(domain=domain, full_name="acme/checkout")
    DeploymentFactory(
        repository=repository,
        sha="c0ffee" + "0" * 34,
        created_at=incident.started_at - timedelta(minutes=20),
    )
    DeploymentFactory(
        repository=repository,
        sha="01d" + "0" * 37,
        created_at=incident.started_at - timedelta(hours=3),
    )
    RunFactory(
        repository=repository,
        workflow="deploy-checkout",
        started_at=incident.started_at + timedelta(minutes=5),
    )
    slo = Slo.objects.create(
        domain=domain,
        name="checkout-availability",
        objective=0.99,
        window_seconds=86400,
    )
    SloAlert.objects.create(
        slo=slo,
        severity="page",
        long_window="1h",
        short_window="5m",
        factor=14.4,
        fired_at=incident.started_at + timedelta(minutes=1),
        fired_long_burn=20,
        fired_short_burn=30,
    )
    incident_note_add(incident=incident, text="Rolling back", actor="zoë")
    html = client.get(detail_url(incident)).content.decode()
    assert "Checkout down" in html and "Rolling back" in html
    assert "c0ffee000000" in html  # deployed 20 minutes before
    assert "01d000000000" not in html  # three hours before: not in the hour
    assert "deploy-checkout" in html and "checkout-availability" in html
    assert "Add note" not in html  # viewers read only


def test_an_engineer_adds_a_note_and_a_milestone(client, domain):
    user = login(client, domain, "engineer")
    incident = IncidentFactory(domain=domain)
    url = detail_url(incident)
    response = client.post(url, {"form": "note", "text": "Paged the DB team"})
    assert response.status_code == 302
    note = TimelineEntry.objects.get(incident=incident, kind="note")
    assert note.actor == user.get_username() and note.text == "Paged the DB team"
    at = (incident.started_at + timedelta(minutes=30)).isoformat()
    client.post(url, {"form": "milestone", "name": "Root cause found", "at": at})
    milestone = Milestone.objects.get(incident=incident)
    assert milestone.name == "Root cause found"
    assert TimelineEntry.objects.filter(incident=incident, kind="milestone").exists()
    bad = client.post(url, {"form": "milestone", "name": "x", "at": "soon"})
    assert bad.status_code == 422


def test_a_viewer_may_not_write(client, domain):
    login(client, domain, "viewer")
    incident = IncidentFactory(domain=domain)
    response = client.post(detail_url(incident), {"form": "note", "text": "hi"})
    assert response.status_code == 403
    assert not TimelineEntry.objects.exists()


def test_the_list_and_the_page_run_a_constant_number_of_queries(client, domain):
    login(client, domain, "engineer")
    incident = IncidentFactory(domain=domain)
    repository = RepositoryFactory(domain=domain)

    def more(n: int) -> None:
        for _ in range(n):
            IncidentFactory(domain=domain)
            incident_note_add(incident=incident, text="note", actor="a")
            DeploymentFactory(
                repository=repository,
                created_at=incident.started_at - timedelta(minutes=5),
            )
            RunFactory(repository=repository, started_at=incident.started_at)
            action_item_add(
                incident=incident, title="fix", owner="o", due_on=None, author="a"
            )
            learning_propose(
                incident=incident, kind="pin", title="t", rationale="r", author=None
            )

    def get(url):
        def call():
            assert client.get(url).status_code == 200

        return call

    get(detail_url(incident))()
    assert_constant_queries(more, get(detail_url(incident)))
    assert_constant_queries(
        more, get(reverse("incidents:incident-list", args=[domain.slug]))
    )


def test_the_dashboard_panels_list_open_incidents_and_the_dora_keys(client, domain):
    login(client, domain, "viewer")
    IncidentFactory(domain=domain, title="Still burning", status="acknowledged")
    IncidentFactory(domain=domain, title="Long over", status="resolved")
    html = client.get(
        reverse("dash:dashboard-panel", args=[domain.slug, "incidents"])
    ).content.decode()
    assert "Still burning" in html and "Long over" not in html
    html = client.get(
        reverse("dash:dashboard-panel", args=[domain.slug, "dora"])
    ).content.decode()
    assert "Deployment frequency" in html and "Change failure rate" in html


def test_the_page_shows_the_pin_changes_of_the_hour_before(client, domain):
    from pipelines.pins.models import Rollout, RolloutEvent
    from tests.pins.factories import pin_world

    login(client, domain, "viewer")
    incident = IncidentFactory(domain=domain)
    world = pin_world(domain, RepositoryFactory(domain=domain), marker="pinned")
    rollout = Rollout.objects.get(pk=world["rollout-advance"])
    for minutes, text in ((30, "to 25% after the hold"), (90, "long before")):
        event = RolloutEvent.objects.create(
            rollout=rollout, kind="advanced", traffic_pct=25, text=text
        )
        RolloutEvent.objects.filter(pk=event.pk).update(
            created_at=incident.started_at - timedelta(minutes=minutes)
        )
    html = client.get(detail_url(incident)).content.decode()
    assert "pinned-summary" in html and "to 25% after the hold" in html
    assert "long before" not in html
