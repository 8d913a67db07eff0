"""POST /api/v1/webhooks/github: signatures, limits, storage before the answer,
duplicates, every published GitHub payload, out-of-order and scrambled delivery."""

import hashlib
import hmac
import json
import random
import uuid

import pytest

from dashboard.domains import services as dashboard_services
from dashboard.models import OutboxState, PermissionDenial
from pipelines.ingest.services import webhooks
from pipelines.models import (
    Deployment,
    Job,
    PullRequest,
    Push,
    ReportedStatus,
    Run,
    WebhookDelivery,
)
from tests.factories import DomainFactory
from tests.pipelines.conftest import WEBHOOK_URL, deliver, event_of, sample_payloads

pytestmark = pytest.mark.django_db


def process_all() -> None:
    for pk in WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True):
        webhooks.delivery_process(delivery_id=pk)


def test_githubs_own_signature_test_vector_verifies():
    assert webhooks.signature_valid(
        body=b"Hello, World!",
        header="sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        secrets=("It's a Secret to Everybody",),
    )


@pytest.mark.parametrize(
    ("current", "previous", "signed_with", "status"),
    [
        ("new-secret", "old-secret", "new-secret", 202),
        ("new-secret", "old-secret", "old-secret", 202),  # mid-rotation
        ("new-secret", "", "old-secret", 401),  # rotation finished
        ("new-secret", "old-secret", "other", 401),
        ("", "", "", 401),  # no secret configured: nothing verifies
    ],
)
def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new(
    client, ci_domain, settings, current, previous, signed_with, status
):
    settings.GITHUB_WEBHOOK_SECRET = current
    settings.GITHUB_WEBHOOK_SECRET_PREVIOUS = previous
    response = deliver(client, "push", b'{"zen": "x"}', secret=signed_with)
    assert response.status_code == status, response.content


def test_a_signed_delivery_is_stored_before_the_answer_and_answered_202(
    client, ci_domain, testdata
):
    body = (
        testdata / "github_webhooks/octokit__workflow_run_completed.payload.json"
    ).read_bytes()
    response = deliver(client, "workflow_run", body, delivery_id="d-1")
    assert response.status_code == 202
    assert response.json() == {
        "delivery_id": "d-1",
        "event": "workflow_run",
        "duplicate": False,
        "state": "pending",
    }
    stored = WebhookDelivery.objects.get(delivery_id="d-1")
    assert bytes(stored.body) == body  # byte for byte what the signature covered
    assert stored.event == "workflow_run" and stored.action == "completed"
    assert stored.repository_full_name == "octo-org/octo-repo"
    assert stored.hook_id == "292430182"
    assert stored.state == OutboxState.PENDING and stored.enqueue_count == 1


def test_a_stored_body_is_compressed_with_lz4_and_read_back_byte_for_byte(
    client, ci_domain, testdata
):
    """GitHub's payloads are compressed by PostgreSQL with lz4 (pipelines
    0017), several times cheaper than its default pglz for every delivery."""
    from django.db import connection

    body = (
        testdata / "github_webhooks/octokit__workflow_run_completed.payload.json"
    ).read_bytes()
    assert len(body) > 2 * 1024  # large enough to be compressed at all
    assert deliver(client, "workflow_run", body, delivery_id="lz4").status_code == 202
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(body) FROM pipelines_webhookdelivery "
            "WHERE delivery_id = %s",
            ["lz4"],
        )
        assert cursor.fetchone() == ("lz4",)
    stored = WebhookDelivery.objects.get(delivery_id="lz4")
    assert bytes(stored.body) == body
    process_all()  # the worker reads it back and parses it
    stored.refresh_from_db()
    assert stored.state == OutboxState.DONE, stored.reason


def test_a_redelivery_is_200_and_has_no_second_effect(client, ci_domain, testdata):
    body = (testdata / "github_webhooks/octokit__push_payload.json").read_bytes()
    assert deliver(client, "push", body, delivery_id="same").status_code == 202
    process_all()
    again = deliver(client, "push", body, delivery_id="same")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    process_all()
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().duplicate_count == 1
    assert Push.objects.count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing
        "",
        "sha256=" + "0" * 64,
        "sha1=" + "0" * 40,  # the legacy header's form is not accepted
        "sha256=not-hex",
    ],
)
def test_a_missing_or_wrong_signature_is_401_problem_and_nothing_is_stored(
    client, ci_domain, signature
):
    body = b'{"action": "completed", "repository": {"full_name": "octo-org/octo-repo"}}'
    response = client.post(
        WEBHOOK_URL,
        body,
        content_type="application/json",
        headers={
            "X-GitHub-Event": "workflow_run",
            "X-GitHub-Delivery": "x",
            **({"X-Hub-Signature-256": signature} if signature is not None else {}),
        },
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "X-Hub-Signature-256" in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_a_body_signed_with_another_secret_is_401_and_counted(client, ci_domain):
    body = b'{"zen": "Design for failure."}'
    response = deliver(
        client,
        "ping",
        body,
        secret="not-the-secret",
        headers={"X-Request-ID": "forged-1"},
    )
    assert response.status_code == 401
    denial = PermissionDenial.objects.get(action=webhooks.SIGNATURE_DENIAL_ACTION)
    assert (denial.status_code, denial.request_id) == (401, "forged-1")


def test_a_tampered_body_is_401(client, ci_domain, testdata):
    body = (testdata / "github_webhooks/octokit__status_payload.json").read_bytes()
    signature = webhooks.signature_for(body)
    tampered = body.replace(b'"success"', b'"failure"', 1)
    assert tampered != body
    response = deliver(
        client, "status", tampered, headers={"X-Hub-Signature-256": signature}
    )
    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_the_signature_covers_raw_bytes_not_reserialised_json(client, ci_domain):
    # Same JSON, different bytes (spacing, escaped Unicode): each verifies only
    # against its own signature.
    a = '{"zen":"Ünïcode ✓","hook_id":1}'.encode()
    b = json.dumps({"zen": "Ünïcode ✓", "hook_id": 1}).encode()
    assert a != b
    assert deliver(client, "ping", a).status_code == 200
    wrong = deliver(
        client, "ping", a, headers={"X-Hub-Signature-256": webhooks.signature_for(b)}
    )
    assert wrong.status_code == 401


@pytest.mark.parametrize("missing", ["X-GitHub-Event", "X-GitHub-Delivery"])
def test_a_missing_github_header_is_400(client, ci_domain, missing):
    response = deliver(client, "push", b"{}", headers={missing: None})
    assert response.status_code == 400
    assert missing in response.json()["detail"]
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b""])
def test_a_signed_body_that_is_not_a_json_object_is_400(client, ci_domain, body):
    response = deliver(client, "push", body)
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_the_signature_is_checked_chunk_by_chunk():
    """The streaming check equals the one-shot HMAC over the whole body, however
    the body is cut into chunks."""
    body = bytes(random.Random(7).randrange(256) for _ in range(200_000))
    header = webhooks.signature_for(body, "s3cret")
    for size in (1, 7, 64 * 1024, len(body)):
        check = webhooks.SignatureCheck(header=header, secrets=("s3cret",))
        for start in range(0, len(body), size):
            check.update(body[start : start + size])
        assert check.valid()
    tampered = webhooks.SignatureCheck(header=header, secrets=("s3cret",))
    tampered.update(body[:-1] + b"!")
    assert not tampered.valid()
    assert not webhooks.SignatureCheck(header=None, secrets=("s3cret",)).valid()
    assert not webhooks.SignatureCheck(header="sha1=abc", secrets=("s3cret",)).valid()
    assert not webhooks.SignatureCheck(header=header, secrets=("",)).valid()


def test_a_multi_chunk_delivery_is_verified_while_streaming_and_kept_exactly(
    client, ci_domain, monkeypatch
):
    """A body of several 64 KiB chunks: the HMAC sees every chunk once, as it is
    read, and the stored body is the exact raw bytes."""
    seen = []
    original = webhooks.SignatureCheck.update

    def spy(self, chunk):
        seen.append(len(chunk))
        original(self, chunk)

    monkeypatch.setattr(webhooks.SignatureCheck, "update", spy)
    body = json.dumps({"pad": "é" * 150_000, "zero": "\u0000"}).encode()
    response = deliver(client, "push", body, delivery_id="chunks")
    assert response.status_code == 202
    assert len(seen) > 1 and sum(seen) == len(body)
    assert bytes(WebhookDelivery.objects.get(delivery_id="chunks").body) == body
    seen.clear()
    response = deliver(client, "push", body, secret="wrong")
    assert response.status_code == 401 and sum(seen) == len(body)


def test_a_declared_length_over_25_mb_is_413_without_reading(
    client, ci_domain, monkeypatch
):
    from django.test.client import FakePayload

    def never(*args, **kwargs):
        raise AssertionError("the body was read")

    monkeypatch.setattr(FakePayload, "read", never)
    monkeypatch.setattr(FakePayload, "readline", never, raising=False)
    response = client.post(
        WEBHOOK_URL,
        b"{}",
        content_type="application/json",
        headers={"X-GitHub-Event": "push", "X-GitHub-Delivery": "big"},
        CONTENT_LENGTH=str(25 * 1024 * 1024 + 1),
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


def test_a_body_over_25_mb_is_413(client, ci_domain):
    body = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    response = deliver(client, "push", body)
    assert response.status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_ping_is_200_and_not_stored(client, ci_domain):
    response = deliver(
        client, "ping", b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
    )
    assert response.status_code == 200
    assert response.json()["zen"] == "Keep it logically awesome."
    assert not WebhookDelivery.objects.exists()


def test_get_is_405_problem(client):
    response = client.get(WEBHOOK_URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_the_request_id_is_kept_with_the_delivery(client, ci_domain):
    deliver(
        client,
        "push",
        b'{"ref": "refs/heads/main", "repository": {"full_name": "octo-org/octo-repo"}}',
        delivery_id="rid",
        headers={"X-Request-ID": "req-from-github-1"},
    )
    assert (
        WebhookDelivery.objects.get(delivery_id="rid").request_id == "req-from-github-1"
    )


def test_every_published_github_payload_is_accepted_and_processed(
    client, ci_domain, testdata
):
    payloads = sample_payloads(testdata)
    assert len(payloads) >= 20
    for path in payloads:
        response = deliver(
            client, event_of(path), path.read_bytes(), delivery_id=path.name
        )
        assert response.status_code == 202, path.name
    process_all()
    states = dict(WebhookDelivery.objects.values_list("delivery_id", "state"))
    failed = {k: v for k, v in states.items() if v != OutboxState.DONE}
    assert failed == {}
    assert all(d.domain == ci_domain for d in WebhookDelivery.objects.all())


EXPECTED_RUNS = {
    # (provider, repository, external id, attempt): (status, conclusion)
    ("github_actions", "octo-org/octo-repo", "289782451", 1): ("completed", "success"),
    ("github_actions", "Codertocat/Hello-World", "2202229078", 1): ("queued", ""),
    ("github_checks", "Codertocat/Hello-World", "118578147", 1): (
        "completed",
        "success",
    ),
    ("github_checks", "Codertocat/Hello-World", "118578174", 1): ("queued", ""),
}


def final_state() -> dict:
    return {
        "runs": {
            (r.provider, r.repository.full_name, r.external_id, r.attempt): (
                r.status,
                r.conclusion,
            )
            for r in Run.objects.select_related("repository")
        },
        "jobs": sorted(
            (j.external_id, j.name, j.status, j.conclusion, j.started_at.isoformat())
            for j in Job.objects.all()
        ),
        "pull_requests": list(
            PullRequest.objects.values_list("number", "state", "merged")
        ),
        "pushes": sorted(Push.objects.values_list("ref", "after_sha")),
        "deployments": list(Deployment.objects.values_list("external_id", "state")),
        "statuses": list(ReportedStatus.objects.values_list("context", "state")),
        "pr_of_workflow_run": Run.objects.get(
            external_id="289782451"
        ).pull_request_number,
    }


def test_in_order_delivery_ends_in_the_final_state(client, ci_domain, testdata):
    for path in sample_payloads(testdata):
        deliver(client, event_of(path), path.read_bytes(), delivery_id=path.name)
    process_all()
    state = final_state()
    assert state["runs"] == EXPECTED_RUNS
    assert state["jobs"] == [
        (
            "128620228",
            "Octocoders-linter",
            "completed",
            "success",
            "2019-05-15T15:21:12+00:00",
        ),
        # Two reports of "completed" at the same instant: failure is the more
        # severe, so it wins whatever the order.
        ("289782451", "linters", "completed", "failure", "2021-08-05T10:34:58+00:00"),
    ]
    assert state["pull_requests"] == [(2, "closed", False)]
    assert len(state["pushes"]) == 2
    assert state["deployments"] == [(145988746, "success")]
    assert state["statuses"] == [("default", "success")]
    assert state["pr_of_workflow_run"] is not None


@pytest.mark.parametrize("seed", [1, 7, 42, 2024])
def test_scrambled_delivery_with_duplicates_ends_in_the_same_state_counted_once(
    client, ci_domain, testdata, seed
):
    rng = random.Random(seed)
    deliveries = [
        (path.name, event_of(path), path.read_bytes())
        for path in sample_payloads(testdata)
    ]
    redelivered = rng.sample(deliveries, 6)
    scrambled = deliveries + redelivered
    rng.shuffle(scrambled)
    codes = [deliver(client, e, b, delivery_id=d).status_code for d, e, b in scrambled]
    assert codes.count(202) == len(deliveries)
    assert codes.count(200) == len(redelivered)
    # Process in the scrambled order, and once more as a sweeper would.
    order = {d: i for i, (d, _, _) in reversed(list(enumerate(scrambled)))}
    for delivery in sorted(
        WebhookDelivery.objects.all(), key=lambda x: order[x.delivery_id]
    ):
        webhooks.delivery_process(delivery_id=delivery.pk)
    process_all()

    state = final_state()
    assert state["runs"] == EXPECTED_RUNS
    assert [j[:4] for j in state["jobs"]] == [
        ("128620228", "Octocoders-linter", "completed", "success"),
        ("289782451", "linters", "completed", "failure"),
    ]
    assert state["pull_requests"] == [(2, "closed", False)]
    assert len(state["pushes"]) == 2
    assert state["deployments"] == [(145988746, "success")]
    assert state["statuses"] == [("default", "success")]
    assert WebhookDelivery.objects.count() == len(deliveries)
    assert sum(WebhookDelivery.objects.values_list("duplicate_count", flat=True)) == 6


def _workflow_run(testdata, name: str) -> bytes:
    return (
        testdata / f"github_webhooks/octokit__workflow_run_{name}.payload.json"
    ).read_bytes()


def test_in_progress_after_completed_changes_nothing(client, ci_domain, testdata):
    completed = json.loads(_workflow_run(testdata, "completed"))
    late = json.loads(_workflow_run(testdata, "completed"))
    late["action"] = "in_progress"
    late["workflow_run"].update(
        status="in_progress", conclusion=None, updated_at="2030-01-01T00:00:00Z"
    )
    deliver(client, "workflow_run", json.dumps(completed).encode())
    process_all()
    deliver(client, "workflow_run", json.dumps(late).encode())
    process_all()
    run = Run.objects.get()
    assert (run.status, run.conclusion) == ("completed", "success")
    assert WebhookDelivery.objects.filter(state=OutboxState.DONE).count() == 2


def test_a_newer_attempt_is_its_own_run(client, ci_domain, testdata):
    first = json.loads(_workflow_run(testdata, "completed"))
    rerun = json.loads(_workflow_run(testdata, "requested"))
    rerun["workflow_run"]["run_attempt"] = 2
    deliver(client, "workflow_run", json.dumps(first).encode())
    deliver(client, "workflow_run", json.dumps(rerun).encode())
    process_all()
    assert sorted(Run.objects.values_list("attempt", "status")) == [
        (1, "completed"),
        (2, "queued"),
    ]


def test_an_unmapped_repository_is_ignored_with_a_reason_then_replayed_after_mapping(
    client, db, testdata
):
    body = _workflow_run(testdata, "completed")
    deliver(client, "workflow_run", body, delivery_id="early")
    process_all()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == OutboxState.IGNORED
    assert "octo-org/octo-repo is not mapped" in delivery.reason
    assert delivery.domain is None and not Run.objects.exists()

    domain = DomainFactory(slug="late-mapper")
    repository = dashboard_services.repository_map(
        full_name="octo-org/octo-repo", domain=domain
    ).obj
    assert webhooks.deliveries_replay_for_repository(repository=repository) == 1
    process_all()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.DONE and delivery.reason == ""
    assert delivery.domain == domain and delivery.replay_count == 1
    assert Run.objects.get().domain == domain


def test_an_event_we_do_not_process_is_kept_as_ignored(client, ci_domain):
    deliver(
        client,
        "star",
        b'{"action": "created", "repository": {"full_name": "octo-org/octo-repo"}}',
    )
    process_all()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == OutboxState.IGNORED
    assert "'star' event is not processed" in delivery.reason


def test_a_payload_missing_what_its_event_needs_fails_with_the_error_and_no_partial_effect(
    client, ci_domain
):
    body = json.dumps(
        {
            "action": "completed",
            "repository": {"full_name": "octo-org/octo-repo"},
            "workflow_job": {"id": 5, "status": "completed"},  # no run_id
        }
    ).encode()
    deliver(client, "workflow_job", body)
    process_all()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == OutboxState.FAILED
    assert "run_id" in delivery.error
    assert not Run.objects.exists() and not Job.objects.exists()
    # A failed delivery can be replayed (e.g. after a fix); it fails the same way.
    webhooks.delivery_replay(delivery=delivery)
    process_all()
    delivery.refresh_from_db()
    assert delivery.state == OutboxState.FAILED and delivery.replay_count == 1


def test_a_done_delivery_cannot_be_replayed(client, ci_domain, testdata):
    deliver(client, "workflow_run", _workflow_run(testdata, "completed"))
    process_all()
    with pytest.raises(ValueError, match="Only failed or ignored"):
        webhooks.delivery_replay(delivery=WebhookDelivery.objects.get())


def test_signature_helper_matches_a_manual_hmac():
    body = uuid.uuid4().bytes
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert webhooks.signature_for(body, "k") == f"sha256={expected}"


def test_the_replay_command_replays_what_was_ignored_for_a_repository(
    client, db, testdata
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    deliver(
        client, "workflow_run", _workflow_run(testdata, "completed"), delivery_id="a"
    )
    deliver(
        client, "workflow_run", _workflow_run(testdata, "requested"), delivery_id="b"
    )
    process_all()
    with pytest.raises(CommandError, match="not mapped"):
        call_command("replay_deliveries", repository="octo-org/octo-repo")
    dashboard_services.repository_map(
        full_name="octo-org/octo-repo", domain=DomainFactory(slug="cmd-domain")
    )
    out = StringIO()
    call_command("replay_deliveries", repository="OCTO-ORG/octo-repo", stdout=out)
    assert "Replayed 2 deliveries." in out.getvalue()
    process_all()
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"done"}
    out = StringIO()
    call_command("replay_deliveries", "a", stdout=out)
    assert "a: done, not replayed" in out.getvalue()
