"""The outbox sweeper: re-enqueues what was not processed, and gives up (state
failed, with the reason) on a row it has already enqueued OUTBOX_MAX_ENQUEUES times."""

import json
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from dashboard.models import OutboxState
from dashboard.platform import services as platform_services
from pipelines.ingest.services import webhooks
from pipelines.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def stored(payload: dict) -> WebhookDelivery:
    body = json.dumps(payload).encode()
    delivery_id = str(uuid.uuid4())
    webhooks.delivery_accept(
        delivery_id=delivery_id, event="push", body=body, payload=payload
    )
    return WebhookDelivery.objects.get(delivery_id=delivery_id)


def test_the_sweeper_fails_a_row_it_has_enqueued_too_often(settings):
    settings.OUTBOX_MAX_ENQUEUES = 3
    long_ago = timezone.now() - timedelta(hours=1)
    tired, fresh = (stored({"n": n}) for n in ("tired", "fresh"))
    WebhookDelivery.objects.filter(pk=tired.pk).update(
        enqueue_count=3, enqueued_at=long_ago
    )
    WebhookDelivery.objects.filter(pk=fresh.pk).update(
        enqueue_count=2, enqueued_at=long_ago
    )
    with mock.patch.object(platform_services.app, "send_task") as send:
        assert platform_services.outbox_sweep() == 1
    assert send.call_args.kwargs["args"] == [fresh.pk]
    tired.refresh_from_db()
    assert tired.state == OutboxState.FAILED
    assert "after 3 enqueues" in tired.error and tired.can_replay
    fresh.refresh_from_db()
    assert (fresh.state, fresh.enqueue_count) == (OutboxState.PENDING, 3)


def test_a_replayed_row_gets_a_fresh_allowance(
    settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ENQUEUES = 3
    long_ago = timezone.now() - timedelta(hours=1)
    tired = stored({"n": "replayed"})
    WebhookDelivery.objects.filter(pk=tired.pk).update(
        enqueue_count=3, enqueued_at=long_ago
    )
    with mock.patch.object(platform_services.app, "send_task"):
        platform_services.outbox_sweep()
    tired.refresh_from_db()
    assert tired.state == OutboxState.FAILED
    webhooks.delivery_replay(delivery=tired)  # after the fix
    WebhookDelivery.objects.filter(pk=tired.pk).update(enqueued_at=long_ago)
    with mock.patch.object(platform_services.app, "send_task") as send:
        assert platform_services.outbox_sweep() == 1  # sent again, not failed
    assert send.call_args.kwargs["args"] == [tired.pk]
    tired.refresh_from_db()
    assert (tired.state, tired.replay_count) == (OutboxState.PENDING, 1)
