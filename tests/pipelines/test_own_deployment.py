"""A successful deployment of the control plane itself warms the panel caches."""

import json
import os

import pytest
import redis

from pipelines.ingest.services import webhooks
from tests.pipelines.conftest import deliver

pytestmark = pytest.mark.django_db


def queued_task_names() -> list[str]:
    """Task names waiting in this test namespace's `default` queue on the broker."""
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    key = f"{os.environ['CELERY_BROKER_PREFIX']}default"
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange(key, 0, -1)]


def drain_default_queue() -> None:
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    client.delete(f"{os.environ['CELERY_BROKER_PREFIX']}default")


def process(client, testdata, django_capture_on_commit_callbacks) -> None:
    body = (
        testdata / "github_webhooks/octokit__deployment_status_payload.json"
    ).read_bytes()
    deliver(client, "deployment_status", body)
    from pipelines.models import WebhookDelivery

    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.delivery_process(delivery_id=delivery.pk)


def test_a_successful_deployment_of_the_control_plane_warms_the_caches(
    ci_domain, client, testdata, settings, django_capture_on_commit_callbacks
):
    settings.CONTROLPLANE_REPOSITORY = "codertocat/hello-world"  # any case
    drain_default_queue()
    process(client, testdata, django_capture_on_commit_callbacks)
    assert "dashboard.warm_caches" in queued_task_names()


def test_another_repositorys_deployment_does_not(
    ci_domain, client, testdata, settings, django_capture_on_commit_callbacks
):
    settings.CONTROLPLANE_REPOSITORY = "acme/controlplane"
    drain_default_queue()
    process(client, testdata, django_capture_on_commit_callbacks)
    assert "dashboard.warm_caches" not in queued_task_names()
