"""Every error the API answers is application/problem+json with a request id:
unknown routes, wrong methods, missing objects, bodies too big or not JSON,
refusals behind an Idempotency-Key, and our own failures."""

import pytest
from django.test import Client

from dashboard.models import PermissionDenial
from pipelines.ingest.services import runs
from pipelines.models import IdempotencyRecord, Run
from tests.pipelines.test_api import run_body

pytestmark = pytest.mark.django_db


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nope", "/api/v1/ci/runs/x"])
def test_an_unknown_route_is_a_404_problem(client, path):
    assert_problem(client.get(path), 404)
    assert_problem(client.post(path, "{}", content_type="application/json"), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("delete", "/api/v1/ci/runs", "GET, POST"),
        ("put", "/api/v1/ci/runs/1", "GET"),
        ("get", "/api/v1/perf", "POST"),
        ("post", "/api/v1/openapi.json", "GET, HEAD"),
    ],
)
def test_a_wrong_method_is_a_405_problem_with_allow(client, method, path, allow):
    response = getattr(client, method)(path)
    assert_problem(response, 405)
    assert response["Allow"] == allow


def test_a_missing_object_is_a_404_problem(api):
    assert_problem(api.get("/api/v1/ci/runs/999999"), 404)
    assert_problem(api.get("/api/v1/ci/reports/999999"), 404)
    assert_problem(api.get(f"/api/v1/ci/runs/{2**70}"), 404)  # beyond bigint


def test_a_json_body_over_10_mb_is_a_413_problem_without_reading(api):
    response = api.client.post(
        "/api/v1/ci/runs",
        b"{}",
        content_type="application/json",
        headers=api.headers(),
        CONTENT_LENGTH=str(10 * 1024 * 1024 + 1),
    )
    assert_problem(response, 413)


@pytest.mark.parametrize(
    ("body", "detail"),
    [(b"{", "The body is not JSON"), (b"[]", "The body must be a JSON object")],
)
def test_a_body_that_is_not_a_json_object_is_a_400_problem(api, body, detail):
    assert detail in assert_problem(api.post("/api/v1/perf", body), 400)["detail"]


def test_a_refusal_behind_an_idempotency_key_is_counted_once_and_not_kept(client):
    response = client.post(
        "/api/v1/ci/runs",
        "{}",
        content_type="application/json",
        headers={"Authorization": "Bearer cpi_nope_nope", "Idempotency-Key": "k"},
    )
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert PermissionDenial.objects.filter(action="ingest.ci").count() == 1
    assert not IdempotencyRecord.objects.exists()


def test_an_idempotent_post_resolves_the_token_once(api, django_assert_num_queries):
    api.post("/api/v1/ci/runs", run_body(), key="warm")  # token's last-used write
    replay = api.post("/api/v1/ci/runs", run_body(), key="warm")
    assert replay["Idempotent-Replayed"] == "true"
    # The token, the savepoint around the key's row, the key's row.
    with django_assert_num_queries(4):
        api.post("/api/v1/ci/runs", run_body(), key="warm")


def test_our_own_failure_is_a_500_problem_and_rolls_the_key_back(ci_token, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(runs, "run_upsert", broken)
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/v1/ci/runs",
        run_body(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {ci_token}", "Idempotency-Key": "k"},
    )
    body = assert_problem(response, 500)
    assert "database" not in body["detail"]
    assert not IdempotencyRecord.objects.exists() and not Run.objects.exists()
