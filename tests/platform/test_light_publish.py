"""The light publish of outbox ids (config.tasks.publish_light): the message one
LPUSH puts on the queue is the one apply_async would have put there, a real
worker runs it, and a broker that is down costs a log line, not the request."""

import json
import os

import pytest
import redis

from config import request_context
from config.tasks import publish_light, task_named

pytestmark = pytest.mark.django_db

TASK = "pipelines.process_delivery"


def queued(queue: str) -> list[dict]:
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    key = f"{os.environ['CELERY_BROKER_PREFIX']}{queue}"
    return [json.loads(raw) for raw in client.lrange(key, 0, -1)]


# What differs between any two messages: their ids, and who sent them from where.
PER_MESSAGE = {"id", "root_id", "origin", "traceparent"}


def test_the_light_message_is_the_one_apply_async_publishes():
    from tests.support.worker import purge_broker

    purge_broker()
    request_context.bind(request_id="req-light-1", traceparent="")
    try:
        task_named(TASK).apply_async(args=(41,))
        assert publish_light(TASK, 41)
    finally:
        request_context.clear()
    celery_message, light_message = reversed(queued("ingest"))  # LPUSH: newest first
    assert light_message.keys() == celery_message.keys()
    for key in ("body", "content-encoding", "content-type"):
        assert light_message[key] == celery_message[key], key
    same_headers = set(celery_message["headers"]) - PER_MESSAGE
    assert set(light_message["headers"]) == set(celery_message["headers"])
    for key in same_headers:
        assert light_message["headers"][key] == celery_message["headers"][key], key
    assert light_message["headers"]["request_id"] == "req-light-1"
    for key in ("delivery_mode", "delivery_info", "priority", "body_encoding"):
        assert light_message["properties"][key] == celery_message["properties"][key]
    assert (
        light_message["properties"]["delivery_tag"]
        != celery_message["properties"]["delivery_tag"]
    )
    purge_broker()


def test_a_broker_that_is_down_is_reported_and_left_to_the_sweeper(settings, caplog):
    real = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    with caplog.at_level("WARNING", logger="config.tasks"):
        assert publish_light(TASK, 7) is False
    settings.CELERY_BROKER_URL = real
    assert "the sweeper will retry" in caplog.text
    assert publish_light(TASK, 8)  # and the real broker works again at once
    from tests.support.worker import purge_broker

    purge_broker()


def test_a_webhook_accepted_while_the_broker_is_down_stays_pending_for_the_sweeper(
    client, settings
):
    from dashboard.models import OutboxState
    from pipelines.models import WebhookDelivery
    from tests.pipelines.conftest import deliver

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = deliver(client, "push", b'{"ref": "refs/heads/main"}')
    assert response.status_code == 202, response.content
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.enqueue_count) == (OutboxState.PENDING, 1)
    assert delivery.enqueued_at is not None  # the sweeper's clock starts now


def test_the_message_text_is_json_dumps_of_the_message():
    """publish_light writes the message from a per-task template: the same text
    json.dumps(light_message(...)) gives, whatever the values hold."""
    import secrets
    import uuid
    from unittest import mock

    from config.tasks import light_message, light_message_text

    def fixed():
        ids = iter(range(10))
        return (
            mock.patch.object(uuid, "uuid4", lambda: uuid.UUID(int=next(ids))),
            mock.patch.object(secrets, "token_hex", lambda n: "ab" * n),
        )

    request_context.bind(
        request_id='req-"quoted"\\\u00e9',
        traceparent="00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
    )
    try:
        for args in [(41,), (7, 'x\u00e9"\x00')]:
            first, second = fixed()
            with first, second:
                expected = json.dumps(light_message(task_named(TASK), args))
            first, second = fixed()
            with first, second:
                assert light_message_text(task_named(TASK), args) == expected
    finally:
        request_context.clear()
