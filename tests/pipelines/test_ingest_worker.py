"""Ingestion with a real Celery worker on the real broker: the sweeper recovers a
delivery whose enqueue was lost, the request id reaches the worker's logs,
scrambled deliveries end right, and a JUnit upload is parsed by the worker."""

import json
import random
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.models import OutboxState
from pipelines.ingest.services.webhooks import signature_for
from pipelines.models import Run, TestReport, WebhookDelivery
from tests.pipelines.conftest import FIXTURES, deliver, event_of, sample_payloads
from tests.pipelines.test_webhooks import EXPECTED_RUNS, final_state

pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def ingest_worker(transactional_db, worker_log, settings):
    """A real worker that sees this test's uploads (MEDIA_ROOT) and has no
    GitHub token, so gate statuses are not its business here."""
    from tests.support.worker import WorkerProcess, purge_broker

    purge_broker()
    process = WorkerProcess(
        worker_log, extra_env={"MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    ).start()
    yield process
    process.stop()


def wait_for(predicate, timeout: float, what: str, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{worker.output()[-4000:]}")


def test_the_sweeper_re_enqueues_a_delivery_whose_enqueue_was_lost_and_a_worker_processes_it(
    ingest_worker, ci_domain, testdata, settings
):
    from config.celery import app

    body = (
        testdata / "github_webhooks/octokit__workflow_run_completed.payload.json"
    ).read_bytes()
    # Stored, but the broker never heard of it (as when it was down at commit).
    delivery = WebhookDelivery.objects.create(
        delivery_id="lost-enqueue",
        event="workflow_run",
        action="completed",
        repository_full_name="octo-org/octo-repo",
        body=body,
        body_size=len(body),
    )
    stale = timezone.now() - timedelta(seconds=settings.OUTBOX_STALE_SECONDS + 60)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=stale)
    time.sleep(2)
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.PENDING  # nothing happens on its own

    app.send_task("dashboard.sweep_outbox")  # what beat does every minute
    wait_for(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).state == OutboxState.DONE,
        60,
        "the swept delivery to be processed",
        ingest_worker,
    )
    delivery.refresh_from_db()
    assert delivery.enqueue_count == 1 and delivery.attempts == 1
    run = Run.objects.get()
    assert (run.status, run.conclusion, run.external_id) == (
        "completed",
        "success",
        "289782451",
    )


def test_the_webhooks_request_id_reaches_the_workers_log_lines(
    ingest_worker, client, ci_domain, testdata
):
    body = (testdata / "github_webhooks/octokit__push_payload.json").read_bytes()
    response = deliver(
        client,
        "push",
        body,
        delivery_id="traced",
        headers={"X-Request-ID": "gh-req-7f3a9"},
    )
    assert response.status_code == 202
    assert response["X-Request-ID"] == "gh-req-7f3a9"
    wait_for(
        lambda: (
            WebhookDelivery.objects.get(delivery_id="traced").state == OutboxState.DONE
        ),
        60,
        "the delivery to be processed",
        ingest_worker,
    )
    lines = [
        json.loads(line)
        for line in ingest_worker.output().splitlines()
        if line.startswith("{") and '"delivery_id": "traced"' in line
    ]
    events = {line["event"] for line in lines}
    assert {"processing webhook delivery", "webhook delivery processed"} <= events
    assert {line.get("request_id") for line in lines} == {"gh-req-7f3a9"}


def http_post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_scrambled_deliveries_with_duplicates_over_http_to_a_live_server_and_worker(
    ingest_worker, live_server, ci_domain, testdata
):
    rng = random.Random(99)
    deliveries = [
        (p.name, event_of(p), p.read_bytes()) for p in sample_payloads(testdata)
    ]
    scrambled = deliveries + rng.sample(deliveries, 8)
    rng.shuffle(scrambled)
    url = f"{live_server.url}/api/v1/webhooks/github"
    codes = []
    for delivery_id, event, body in scrambled:
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id,
            "X-Hub-Signature-256": signature_for(body),
            "User-Agent": "GitHub-Hookshot/044aadd",
        }
        codes.append(http_post(url, body, headers))
    assert sorted(set(codes)) == [200, 202]
    assert codes.count(202) == len(deliveries)
    tampered = http_post(
        url,
        scrambled[0][2] + b" ",
        {
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "t",
            "X-Hub-Signature-256": signature_for(scrambled[0][2]),
        },
    )
    assert tampered == 401
    wait_for(
        lambda: not WebhookDelivery.objects.exclude(state=OutboxState.DONE).exists(),
        120,
        "every delivery to be processed",
        ingest_worker,
    )
    state = final_state()
    assert state["runs"] == EXPECTED_RUNS
    assert [j[:4] for j in state["jobs"]] == [
        ("128620228", "Octocoders-linter", "completed", "success"),
        ("289782451", "linters", "completed", "failure"),
    ]
    assert state["pull_requests"] == [(2, "closed", False)]
    assert state["deployments"] == [(145988746, "success")]
    assert WebhookDelivery.objects.count() == len(deliveries)
    assert sum(WebhookDelivery.objects.values_list("duplicate_count", flat=True)) == 8


def test_a_junit_upload_is_parsed_by_the_worker_and_its_counts_reported(
    ingest_worker, api, ci_domain
):
    from tests.pipelines.factories import RunFactory
    from tests.pipelines.test_junit import generated_report

    run = RunFactory(
        repository=ci_domain.repositories.get(full_name="octo-org/octo-repo")
    )
    response = api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", generated_report(10_000))
    assert response.status_code == 202
    status_url = response["Location"]
    body = wait_for(
        lambda: (b := api.get(status_url).json())["state"] == "done" and b,
        120,
        "the report to be parsed",
        ingest_worker,
    )
    assert body["counts"]["tests"] == 10_000
    assert body["counts"]["failures"] == 1_000
    assert TestReport.objects.get().results.count() == 10_000
    surefire = api.post_xml(
        f"/api/v1/ci/runs/{run.pk}/junit", (FIXTURES / "surefire.xml").read_bytes()
    )
    wait_for(
        lambda: api.get(surefire["Location"]).json()["state"] == "done",
        60,
        "the second report",
        ingest_worker,
    )
    summary = api.get(f"/api/v1/ci/runs/{run.pk}").json()["test_summary"]
    assert summary["tests"] == 10_005 and summary["errors"] == 1
