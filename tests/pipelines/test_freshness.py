"""A new run shows on the dashboard within seconds, the repository's default
branch follows what GitHub says, and a missing webhook secret is said plainly
(issue 15)."""

import json
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.board.rollups import rollups_touch
from pipelines.ingest.services import webhooks
from pipelines.models import Run, WebhookDelivery
from tests.factories import UserFactory, member
from tests.pipelines.conftest import deliver

HX = {"HTTP_HX_REQUEST": "true"}
RUN_PAYLOAD = "github_webhooks/octokit__workflow_run_completed.payload.json"


def _completed_run_payload(testdata, *, run_id: int = 777) -> bytes:
    payload = json.loads((testdata / RUN_PAYLOAD).read_text())
    now = timezone.now()
    run = payload["workflow_run"]
    run["id"] = run_id
    run["run_started_at"] = (now - timedelta(minutes=5)).isoformat()
    run["created_at"] = run["run_started_at"]
    run["updated_at"] = now.isoformat()
    run["conclusion"] = "failure"
    return json.dumps(payload).encode()


def _login_viewer(client, domain) -> None:
    user = UserFactory()
    member(user, domain, "viewer")
    client.force_login(user)


def _ci_panel(client, domain) -> str:
    url = reverse("dash:dashboard-panel", args=[domain.slug, "ci-health"])
    return client.get(url, {"range": "24h"}, **HX).content.decode()


def _process_pending() -> None:
    for pk in WebhookDelivery.objects.filter(state="pending").values_list(
        "pk", flat=True
    ):
        webhooks.delivery_process(delivery_id=pk)


@pytest.mark.django_db
def test_a_touch_rebuilds_the_recent_hours_and_drops_the_cached_panel(
    client, ci_domain, testdata, django_capture_on_commit_callbacks
):
    _login_viewer(client, ci_domain)
    assert "0 completed runs" in _ci_panel(client, ci_domain)  # now cached
    deliver(client, "workflow_run", _completed_run_payload(testdata))
    _process_pending()
    assert Run.objects.filter(conclusion="failure").count() == 1
    # Without the touch the panel still shows its cached, older numbers.
    assert "0 completed runs" in _ci_panel(client, ci_domain)
    with django_capture_on_commit_callbacks(execute=True):
        rollups_touch(domain_id=ci_domain.pk)
    after = _ci_panel(client, ci_domain)
    assert "1 completed run," in after
    assert "as of" in after


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_run_ingested_through_the_webhook_shows_on_the_panel_within_seconds(
    client, ci_domain, testdata, celery_worker
):
    _login_viewer(client, ci_domain)
    assert "0 completed runs" in _ci_panel(client, ci_domain)  # now cached
    started = time.monotonic()
    response = deliver(client, "workflow_run", _completed_run_payload(testdata))
    assert response.status_code == 202
    html = ""
    while time.monotonic() - started < 20:
        html = _ci_panel(client, ci_domain)
        if "1 completed run," in html:
            break
        time.sleep(0.3)
    # Far sooner than the refresher's minute plus the panel's two-minute TTL.
    assert "1 completed run," in html, celery_worker.output()[-3000:]


@pytest.mark.django_db
def test_the_default_branch_follows_the_payload(client, ci_domain, testdata):
    repo = ci_domain.repositories.get(full_name="octo-org/octo-repo")
    assert repo.default_branch == "main"  # as mapped
    body = testdata / RUN_PAYLOAD
    deliver(client, "workflow_run", body.read_bytes())
    _process_pending()
    repo.refresh_from_db()
    assert repo.default_branch == "master"  # what GitHub says it is
    payload = json.loads(body.read_text())
    payload["repository"]["default_branch"] = "trunk"  # renamed on GitHub
    deliver(client, "workflow_run", json.dumps(payload).encode())
    _process_pending()
    repo.refresh_from_db()
    assert repo.default_branch == "trunk"


@pytest.mark.django_db
def test_without_a_secret_the_401_and_readyz_say_so(client, ci_domain, settings):
    settings.GITHUB_WEBHOOK_SECRET = ""
    settings.GITHUB_WEBHOOK_SECRET_PREVIOUS = ""
    response = deliver(client, "push", b'{"zen": "x"}', secret="anything")
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "No webhook secret is configured" in detail
    assert "GITHUB_WEBHOOK_SECRET" in detail
    ready = client.get("/readyz").json()
    assert ready["checks"]["github_webhooks"] == "no secret configured"
    assert "GITHUB_WEBHOOK_SECRET is not set" in ready["notes"][0]


@pytest.mark.django_db
def test_with_a_secret_a_bad_signature_still_says_what_to_fix(client, ci_domain):
    response = deliver(client, "push", b'{"zen": "x"}', secret="wrong")
    assert response.status_code == 401
    assert "does not match" in response.json()["detail"]
    assert client.get("/readyz").json()["checks"]["github_webhooks"] == "ok"
