"""Monitor deliveries with a real Celery worker on the real broker: accepted
over HTTP, processed by the worker under the task's name, scrambled with
duplicates, ending in the same incident."""

import random
import time

import pytest

from incidents.models import Incident, MonitorDelivery
from incidents.services import monitors
from tests.factories import DomainFactory
from tests.incidents.conftest import payload, send
from tests.incidents.test_webhooks import PD

pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]


def wait_for(predicate, timeout: float, what: str, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{worker.output()[-4000:]}")


def test_a_worker_processes_scrambled_pagerduty_deliveries(client, celery_worker):
    domain = DomainFactory(slug="payments-worker")
    monitors.source_map(source="pagerduty", key="PSVC123", domain=domain)
    order = [n for n in PD if "annotated" not in n] * 2
    random.Random(7).shuffle(order)
    for name in order:
        assert send(client, "pagerduty", payload(name)).status_code in (200, 202)
    wait_for(
        lambda: MonitorDelivery.objects.filter(state="done").count() == 4,
        60,
        "four deliveries done",
        celery_worker,
    )
    incident = Incident.objects.get(domain=domain)
    assert incident.status == "resolved" and incident.severity == "SEV1"
    assert incident.acknowledged_at is not None
    assert sum(MonitorDelivery.objects.values_list("duplicate_count", flat=True)) == 4
