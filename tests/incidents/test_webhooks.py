"""The monitors' webhooks as the senders send them: verified, stored before the
answer, deduplicated, processed into incidents that never move backwards,
unmapped ones kept and replayed after mapping."""

import itertools
import json
import random
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from dashboard.models import OutboxState, PermissionDenial
from incidents.models import Incident, MonitorDelivery, TimelineEntry
from incidents.services import monitors
from tests.incidents.conftest import loads, payload, process_all, send

pytestmark = pytest.mark.django_db

PD = [
    "pagerduty_v3__incident.triggered.json",
    "pagerduty_v3__incident.acknowledged.json",
    "pagerduty_v3__incident.priority_updated.json",
    "pagerduty_v3__incident.annotated.json",
    "pagerduty_v3__incident.resolved.json",
]
T = lambda text: datetime.fromisoformat(text).astimezone(UTC)  # noqa: E731


def test_pagerduty_signature_vector():
    body = b'{"event":{}}'
    secret = "test-pagerduty-secret"
    import hashlib
    import hmac

    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert monitors.pagerduty_signature_valid(body=body, header=expected)
    # PagerDuty sends every active secret's signature, comma-separated.
    assert monitors.pagerduty_signature_valid(
        body=body, header="v1=" + "0" * 64 + ", " + expected
    )
    assert not monitors.pagerduty_signature_valid(body=body + b" ", header=expected)
    assert not monitors.pagerduty_signature_valid(body=body, header=expected[3:])


@pytest.mark.parametrize(
    ("source", "headers"),
    [
        ("pagerduty", {"HTTP_X_PAGERDUTY_SIGNATURE": "v1=" + "ab" * 32}),
        ("pagerduty", {"HTTP_X_PAGERDUTY_SIGNATURE": ""}),
        ("alertmanager", {"HTTP_AUTHORIZATION": "Bearer wrong"}),
        ("alertmanager", {"HTTP_AUTHORIZATION": ""}),
        ("opsgenie", {"HTTP_AUTHORIZATION": "Basic dGVzdA=="}),
    ],
)
def test_a_bad_signature_or_token_is_401_counted_and_nothing_stored(
    client, source, headers
):
    body = payload(
        {
            "pagerduty": PD[0],
            "alertmanager": "alertmanager_v4__firing.json",
            "opsgenie": "opsgenie__create.json",
        }[source]
    )
    response = send(client, source, body, **headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    assert not MonitorDelivery.objects.exists()
    assert PermissionDenial.objects.filter(
        action=f"webhook.{source}_signature", status_code=401
    ).exists()


def test_statuspage_needs_its_url_token(client):
    body = payload("statuspage__incident_created.json")
    wrong = client.post(
        "/api/v1/webhooks/statuspage?token=nope", body, content_type="application/json"
    )
    assert wrong.status_code == 401
    assert send(client, "statuspage", body).status_code == 202


def test_a_tampered_pagerduty_body_is_401(client):
    body = payload(PD[0])
    signature = monitors.pagerduty_signature_for(body)
    tampered = body.replace(b"triggered", b"resolved", 1)
    response = send(client, "pagerduty", tampered, HTTP_X_PAGERDUTY_SIGNATURE=signature)
    assert response.status_code == 401


def test_a_delivery_is_stored_before_the_answer_and_a_repeat_is_200(client):
    body = payload(PD[0])
    first = send(client, "pagerduty", body)
    assert first.status_code == 202
    assert first.json()["delivery_id"] == "01EVT000TRIGGERED00000001"
    again = send(client, "pagerduty", body)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    delivery = MonitorDelivery.objects.get()
    assert bytes(delivery.body) == body and delivery.duplicate_count == 1
    assert delivery.source_key == "PSVC123"


def test_a_body_that_is_not_json_is_400(client):
    response = send(client, "alertmanager", b"[1, 2")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_pagerduty_in_order_ends_resolved_with_milestones_note_and_priority(
    client, mapped
):
    for name in PD:
        assert send(client, "pagerduty", payload(name)).status_code == 202
    assert set(process_all()) == {"done"}
    incident = Incident.objects.get()
    assert incident.domain == mapped
    assert incident.status == "resolved"
    assert incident.severity == "SEV1"  # P1 from priority_updated
    assert incident.started_at == T("2026-03-02T10:00:00Z")
    assert incident.acknowledged_at == T("2026-03-02T10:04:00Z")
    assert incident.resolved_at == T("2026-03-02T10:42:00Z")
    assert incident.commander == "Zoë Ångström"
    texts = [e.text for e in incident.timeline.all()]
    assert "Rolled back acme/payments-api to the previous release." in texts
    assert any("acknowledged → resolved" in t for t in texts)


def _final(incident: Incident) -> tuple:
    return (
        incident.status,
        incident.severity,
        incident.started_at,
        incident.acknowledged_at,
        incident.mitigated_at,
        incident.resolved_at,
        incident.title,
        sorted(incident.timeline.filter(kind="note").values_list("text", flat=True)),
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_pagerduty_scrambled_with_duplicates_ends_in_the_same_state(
    client, mapped, seed
):
    for name in PD:
        send(client, "pagerduty", payload(name))
    process_all()
    expected = _final(Incident.objects.get())
    Incident.objects.all().delete()
    MonitorDelivery.objects.all().delete()

    order = PD + random.Random(seed).sample(PD, 3)
    random.Random(seed).shuffle(order)
    for name in order:
        send(client, "pagerduty", payload(name))
        process_all()  # each processed as it lands, in the scrambled order
    # A note that came before its incident is ignored, and replays afterwards.
    for delivery in MonitorDelivery.objects.filter(state="ignored"):
        monitors.monitor_delivery_replay(delivery=delivery)
    process_all()
    assert _final(Incident.objects.get()) == expected
    assert MonitorDelivery.objects.count() == len(PD)
    assert sum(MonitorDelivery.objects.values_list("duplicate_count", flat=True)) == 3


def test_a_late_acknowledge_after_resolve_fills_the_milestone_but_stays_resolved(
    client, mapped
):
    for name in (PD[0], PD[4], PD[1]):
        send(client, "pagerduty", payload(name))
    process_all()
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.acknowledged_at == T("2026-03-02T10:04:00Z")
    assert incident.timeline.filter(kind="ignored").exists()


def test_alertmanager_one_incident_per_alert_resolved_by_endsat(client, mapped):
    send(client, "alertmanager", payload("alertmanager_v4__firing.json"))
    send(client, "alertmanager", payload("alertmanager_v4__firing.json"))  # retry
    process_all()
    assert Incident.objects.filter(status="triggered").count() == 2
    critical = Incident.objects.get(title="Checkout error rate above 2%")
    assert critical.severity == "SEV1"
    assert Incident.objects.get(title="p95 latency above 500 ms").severity == "SEV3"
    send(client, "alertmanager", payload("alertmanager_v4__resolved.json"))
    process_all()
    critical.refresh_from_db()
    assert critical.status == "resolved"
    assert critical.resolved_at == T("2026-03-02T10:30:00Z")
    assert MonitorDelivery.objects.count() == 2


def test_opsgenie_create_ack_note_close_in_any_order(client, mapped):
    names = [
        "opsgenie__create.json",
        "opsgenie__acknowledge.json",
        "opsgenie__addnote.json",
        "opsgenie__close.json",
    ]
    states = set()
    for order in itertools.islice(itertools.permutations(names), 0, 24, 5):
        Incident.objects.all().delete()
        MonitorDelivery.objects.all().delete()
        for name in order:
            send(client, "opsgenie", payload(name))
            process_all()
        for delivery in MonitorDelivery.objects.filter(state="ignored"):
            monitors.monitor_delivery_replay(delivery=delivery)
        process_all()
        incident = Incident.objects.get()
        states.add(
            (
                incident.status,
                incident.severity,
                incident.acknowledged_at,
                incident.resolved_at,
                incident.timeline.filter(kind="note").count(),
            )
        )
    assert states == {
        (
            "resolved",
            "SEV2",
            T("2026-03-02T10:05:00Z"),
            T("2026-03-02T10:30:00Z"),
            1,
        )
    }


def test_statuspage_updates_become_milestones_and_notes(client, mapped):
    for name in (
        "statuspage__incident_resolved.json",
        "statuspage__incident_created.json",
        "statuspage__incident_monitoring.json",
    ):
        send(client, "statuspage", payload(name))
    process_all()
    incident = Incident.objects.get()
    assert incident.status == "resolved" and incident.severity == "SEV2"
    assert incident.acknowledged_at == T("2026-03-02T10:05:00Z")
    assert incident.mitigated_at == T("2026-03-02T10:30:00Z")
    assert incident.resolved_at == T("2026-03-02T11:00:00Z")
    assert incident.timeline.filter(kind="note").count() == 3  # each update once


def test_a_statuspage_component_update_is_kept_as_ignored(client, mapped):
    send(client, "statuspage", payload("statuspage__component_update.json"))
    assert process_all() == ["ignored"]
    assert "component" in MonitorDelivery.objects.get().reason


def test_unmapped_is_ignored_with_the_reason_and_replayed_by_the_mapping_command(
    client, domain, capsys
):
    send(client, "pagerduty", payload(PD[0]))
    assert process_all() == ["ignored"]
    delivery = MonitorDelivery.objects.get()
    assert "map_incident_source pagerduty" in delivery.reason
    assert delivery.domain is None and not Incident.objects.exists()

    call_command("map_incident_source", "pagerduty", "PSVC123", domain.slug)
    assert "1 ignored deliveries replayed" in capsys.readouterr().out
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.replay_count == 1
    process_all()
    delivery.refresh_from_db()
    assert delivery.state == "done" and delivery.domain == domain
    assert Incident.objects.get().domain == domain


def test_a_payload_missing_its_incident_fails_with_the_reason_and_replays(
    client, mapped
):
    body = b'{"event": {"id": "E1", "event_type": "incident.triggered", "resource_type": "incident", "data": {"type": "incident", "status": "triggered", "service": {"id": "PSVC123"}}}}'
    send(client, "pagerduty", body)
    assert process_all() == ["failed"]
    delivery = MonitorDelivery.objects.get()
    assert "lacks 'id'" in delivery.reason and delivery.can_replay
    assert not Incident.objects.exists() and not TimelineEntry.objects.exists()
    monitors.monitor_delivery_replay(delivery=delivery)
    assert process_all() == ["failed"]


def test_an_impossible_timestamp_is_a_permanent_failure(client, mapped):
    body = payload("alertmanager_v4__firing.json").replace(
        b"2026-03-02T10:00:00.000Z", b"2026-02-30T10:00:00.000Z"
    )
    send(client, "alertmanager", body)
    assert process_all() == ["failed"]
    assert "timestamp" in MonitorDelivery.objects.get().reason


def test_the_outbox_sweeper_knows_monitor_deliveries():
    from dashboard.platform.services import outbox_models

    assert MonitorDelivery in outbox_models()
    assert OutboxState.PENDING == "pending"


def test_mapping_by_the_services_name_replays_too(client, domain):
    send(client, "pagerduty", payload(PD[0]))
    process_all()
    _, replayed = monitors.source_map(
        source="pagerduty", key="checkout-api", domain=domain
    )
    assert replayed == 1
    process_all()
    assert Incident.objects.get().domain == domain


def test_replay_monitor_deliveries_command(client, mapped, capsys):
    send(client, "statuspage", payload("statuspage__component_update.json"))
    send(client, "pagerduty", payload(PD[0]))
    process_all()
    ignored = MonitorDelivery.objects.get(state="ignored")
    done = MonitorDelivery.objects.get(state="done")
    call_command("replay_monitor_deliveries", "--all", "--source", "statuspage")
    assert "Replayed 1 deliveries." in capsys.readouterr().out
    ignored.refresh_from_db()
    assert ignored.state == "pending" and ignored.replay_count == 1
    with pytest.raises(CommandError, match=str(done.pk)):
        call_command("replay_monitor_deliveries", str(done.pk))
    with pytest.raises(CommandError, match="Give delivery ids"):
        call_command("replay_monitor_deliveries")


REOPENED = "pagerduty_v3__incident.reopened.json"
UNACKNOWLEDGED = "pagerduty_v3__incident.unacknowledged.json"


def test_pagerduty_reopened_after_resolved_is_open_again(client, mapped):
    for name in [*PD, REOPENED]:
        assert send(client, "pagerduty", payload(name)).status_code == 202
    assert set(process_all()) == {"done"}
    incident = Incident.objects.get()
    assert incident.status == "triggered" and incident.is_open
    assert incident.resolved_at is None  # its restore time runs again
    assert incident.acknowledged_at == T("2026-03-02T10:04:00Z")  # MTTA kept
    assert incident.moved_back_at == T("2026-03-02T11:05:00Z")
    entry = incident.timeline.filter(kind="status").latest("at")
    assert entry.text == "Status resolved → triggered (moved back by the source)"
    assert entry.changes["resolved_at"] == ["2026-03-02T10:42:00+00:00", None]


@pytest.mark.parametrize(
    "order",
    list(itertools.permutations([PD[0], PD[1], PD[4], REOPENED])),
    ids=lambda order: "-".join(n.split(".")[1][:5] for n in order),
)
def test_a_reopen_ends_open_whatever_order_the_events_arrive_in(client, mapped, order):
    for name in order:
        send(client, "pagerduty", payload(name))
        process_all()
    for delivery in MonitorDelivery.objects.filter(state="ignored"):
        monitors.monitor_delivery_replay(delivery=delivery)
    process_all()
    incident = Incident.objects.get()
    assert (incident.status, incident.resolved_at, incident.acknowledged_at) == (
        "triggered",
        None,
        T("2026-03-02T10:04:00Z"),
    )
    # Resolved again later: resolved, at the new time.
    resolved = loads(payload(PD[4]))
    resolved["event"]["id"] = "01EVT000RESOLVEDAGAIN0007"
    resolved["event"]["occurred_at"] = "2026-03-02T11:30:00Z"
    send(client, "pagerduty", json.dumps(resolved).encode())
    process_all()
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at == T("2026-03-02T11:30:00Z")


@pytest.mark.parametrize(
    "order", list(itertools.permutations([PD[0], PD[1], UNACKNOWLEDGED]))
)
def test_pagerduty_unacknowledged_goes_back_to_triggered_in_any_order(
    client, mapped, order
):
    for name in order:
        send(client, "pagerduty", payload(name))
        process_all()
    incident = Incident.objects.get()
    assert incident.status == "triggered"
    assert incident.acknowledged_at == T("2026-03-02T10:04:00Z")


def test_a_reopen_older_than_the_stored_resolve_changes_nothing(client, mapped):
    resolved = loads(payload(PD[4]))
    resolved["event"]["occurred_at"] = "2026-03-02T12:00:00Z"  # after the reopen
    send(client, "pagerduty", payload(PD[0]))
    send(client, "pagerduty", json.dumps(resolved).encode())
    send(client, "pagerduty", payload(REOPENED))
    process_all()
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.resolved_at == T("2026-03-02T12:00:00Z")
    assert incident.timeline.filter(
        kind="ignored", text__contains="predates the latest report"
    ).exists()
