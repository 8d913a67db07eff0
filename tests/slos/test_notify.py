"""SLO alert transitions are POSTed to the domain's webhook, signed; a 5xx is
retried, a 4xx is a dead letter at once. A real HTTP server on loopback plays
the receiver."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from config.tasks import PermanentError, TransientError
from slos.models import AlertWebhook, Slo, SloAlert
from slos.notify import SIGNATURE_HEADER, alert_post
from slos.services import (
    SliCounts,
    alert_webhook_set,
    sli_points_record,
    slos_evaluate,
)
from tests.factories import DomainFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # the EU's clocks go back here


class Receiver:
    def __init__(self):
        self.status = 204
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/slo"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def burning_slo():
    domain = DomainFactory()
    slo = Slo.objects.create(
        domain=domain, name="checkout", objective=0.999, window_seconds=30 * 86400
    )
    sli_points_record(
        slo=slo,
        points=[
            SliCounts(ts=T0 - timedelta(minutes=m), good=500, total=1000)
            for m in range(60)
        ],
    )
    return slo


def test_a_fired_alert_is_posted_signed(
    burning_slo, receiver, django_capture_on_commit_callbacks
):
    _, secret = alert_webhook_set(domain=burning_slo.domain, url=receiver.url)
    with django_capture_on_commit_callbacks() as callbacks:
        slos_evaluate(at=T0)
    assert callbacks, "the post is enqueued after commit"
    alert = SloAlert.objects.get(slo=burning_slo, long_window="1h")
    assert alert_post(alert_id=alert.pk, change="fired") is True
    headers, body = receiver.received[0]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    payload = json.loads(body)
    assert (payload["slo"], payload["severity"], payload["change"]) == (
        "checkout",
        "page",
        "fired",
    )
    assert payload["fired_short_burn"] == pytest.approx(500)


def test_a_5xx_is_retried_and_a_4xx_is_permanent(burning_slo, receiver):
    alert_webhook_set(domain=burning_slo.domain, url=receiver.url)
    slos_evaluate(at=T0)
    alert = SloAlert.objects.filter(slo=burning_slo).first()
    receiver.status = 503
    with pytest.raises(TransientError):
        alert_post(alert_id=alert.pk, change="fired")
    receiver.status = 410
    with pytest.raises(PermanentError, match="410"):
        alert_post(alert_id=alert.pk, change="fired")


def test_an_unreachable_receiver_is_retried(burning_slo):
    AlertWebhook.objects.create(
        domain=burning_slo.domain, url="http://127.0.0.1:9/nothing", secret="s"
    )
    slos_evaluate(at=T0)
    alert = SloAlert.objects.filter(slo=burning_slo).first()
    with pytest.raises(TransientError):
        alert_post(alert_id=alert.pk, change="fired")


def test_without_a_webhook_nothing_is_enqueued(
    burning_slo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        assert slos_evaluate(at=T0) > 0
    assert callbacks == []


def test_the_command_sets_the_webhook_and_shows_the_secret_once(burning_slo, capsys):
    call_command(
        "set_alert_webhook", burning_slo.domain.slug, "https://hooks.example/x"
    )
    hook = AlertWebhook.objects.get(domain=burning_slo.domain)
    assert hook.secret in capsys.readouterr().out
