"""Helpers of the incident tests: the published-shape payloads, signed or
tokened as each sender sends them, and processing stored deliveries."""

import json
from pathlib import Path

import pytest

from incidents.models import MonitorDelivery
from incidents.services import monitors
from tests.factories import DomainFactory

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def send(client, source: str, body: bytes, **headers):
    """POST `body` to the source's webhook with the credentials it sends."""
    url = f"/api/v1/webhooks/{source}"
    if source == "pagerduty":
        headers.setdefault(
            "HTTP_X_PAGERDUTY_SIGNATURE", monitors.pagerduty_signature_for(body)
        )
    elif source == "statuspage":
        url += "?token=test-statuspage-token"
    else:
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer test-{source}-token")
    return client.post(url, body, content_type="application/json", **headers)


def process_all() -> list[str]:
    return [
        monitors.monitor_delivery_process(delivery_id=pk)
        for pk in MonitorDelivery.objects.order_by("pk").values_list("pk", flat=True)
    ]


@pytest.fixture
def domain():
    return DomainFactory(slug="payments-inc")


@pytest.fixture
def mapped(domain):
    """Every sample's service or integration mapped to `domain`."""
    for source, key in [
        ("pagerduty", "PSVC123"),
        ("alertmanager", "checkout-api"),
        ("opsgenie", "daca46c6-e26b-4dda-8f8a-21f6db7eeaef"),
        ("statuspage", "pg7x2k9m4n1q"),
    ]:
        monitors.source_map(source=source, key=key, domain=domain)
    return domain


def loads(body: bytes) -> dict:
    return json.loads(body)
