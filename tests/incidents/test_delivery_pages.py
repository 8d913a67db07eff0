"""The monitor deliveries' ledger: a domain's page with replay for those who may
trigger scans, and the staff page of unmapped ones, replayed after mapping."""

import pytest
from django.utils.html import escape

from dashboard.models import OutboxState
from incidents.models import Incident, MonitorDelivery
from tests.factories import UserFactory, member
from tests.incidents.conftest import payload, process_all, send

pytestmark = pytest.mark.django_db

TRIGGERED = "pagerduty_v3__incident.triggered.json"


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True))
    return client


def test_unmapped_deliveries_are_listed_for_staff_with_the_key_to_map(
    client, staff, domain
):
    assert send(client, "pagerduty", payload(TRIGGERED)).status_code == 202
    process_all()
    delivery = MonitorDelivery.objects.get()
    assert delivery.state == OutboxState.IGNORED
    page = staff.get("/ops/monitor-deliveries/unmapped/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "PagerDuty" in html and "<code>PSVC123</code>" in html
    assert delivery.reason and escape(delivery.reason) in html
    assert f"/ops/monitor-deliveries/{delivery.pk}/replay" in html
    # The staff nav links it.
    assert 'href="/ops/monitor-deliveries/unmapped/"' in html


def test_replayed_after_mapping_it_becomes_an_incident(
    client, staff, domain, django_capture_on_commit_callbacks
):
    from incidents.services import monitors

    send(client, "pagerduty", payload(TRIGGERED))
    process_all()
    delivery = MonitorDelivery.objects.get()
    monitors.source_map(source="pagerduty", key="PSVC123", domain=domain)
    MonitorDelivery.objects.filter(pk=delivery.pk).update(
        state=OutboxState.IGNORED, domain=None, replay_count=0
    )  # as if mapping had not replayed it yet
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = staff.post(f"/ops/monitor-deliveries/{delivery.pk}/replay")
    assert response.status_code == 302
    assert response["Location"] == "/ops/monitor-deliveries/unmapped/"
    assert len(enqueued) == 1  # the task, once the replay commits
    delivery.refresh_from_db()
    assert delivery.replay_count == 1 and delivery.state == OutboxState.PENDING
    process_all()  # what the worker does with it
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DONE and delivery.domain == domain
    assert Incident.objects.filter(domain=domain).count() == 1
    # It is the domain's now: no longer on the unmapped page.
    again = staff.post(f"/ops/monitor-deliveries/{delivery.pk}/replay")
    assert again.status_code == 404


def test_a_domains_ledger_and_who_may_replay(client, mapped, domain):
    send(client, "pagerduty", payload(TRIGGERED))
    delivery = MonitorDelivery.objects.get()
    MonitorDelivery.objects.filter(pk=delivery.pk).update(
        state=OutboxState.FAILED, domain=domain, error="boom: the parser broke"
    )
    viewer = UserFactory()
    member(viewer, domain, "viewer")
    client.force_login(viewer)
    url = f"/d/{domain.slug}/incidents/deliveries/"
    page = client.get(url)
    assert page.status_code == 200
    assert "boom: the parser broke" in page.content.decode()
    assert "/replay" not in page.content.decode()  # a viewer may not replay
    assert client.post(f"{url}{delivery.pk}/replay").status_code == 403
    assert client.get(f"/d/{domain.slug}/incidents/").content.decode().count(url) == 1

    engineer = UserFactory()
    member(engineer, domain, "engineer")
    client.force_login(engineer)
    response = client.post(f"{url}{delivery.pk}/replay", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("queued for processing again") == 1  # said once, not twice
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.PENDING and delivery.replay_count == 1


def test_ledgers_are_not_open_to_everyone(client, domain):
    send(client, "pagerduty", payload(TRIGGERED))
    delivery = MonitorDelivery.objects.get()
    client.force_login(UserFactory())
    assert client.get("/ops/monitor-deliveries/unmapped/").status_code == 302
    assert (
        client.post(f"/ops/monitor-deliveries/{delivery.pk}/replay").status_code == 302
    )
    # Not a member: the domain is a 404 like a missing one.
    assert client.get(f"/d/{domain.slug}/incidents/deliveries/").status_code == 404
