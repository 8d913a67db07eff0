"""No input makes the API answer 500: JSON nested 5,000 deep, forged cursors of
the wrong types, NUL and lone surrogates in filters. Each is a 4xx problem."""

import base64
import json

import pytest

from dashboard.platform.json_input import MAX_JSON_DEPTH, JsonTooDeep, json_loads
from tests.factories import UserFactory, member
from tests.pipelines.conftest import deliver
from tests.pipelines.test_api_errors import assert_problem

pytestmark = pytest.mark.django_db

DEEP_ARRAY = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000
JUST_TOO_DEEP = b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
DEEP_BODIES = [DEEP_ARRAY, DEEP_OBJECT, JUST_TOO_DEEP]
JSON_POSTS = ["/api/v1/ci/runs", "/api/v1/perf", "/api/v1/query-plans"]


def b64(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_json_loads_refuses_past_the_depth_limit_and_keeps_the_rest():
    ok = '{"a":' * MAX_JSON_DEPTH + "1" + "}" * MAX_JSON_DEPTH
    assert json_loads(ok)
    for body in DEEP_BODIES:
        with pytest.raises(JsonTooDeep):
            json_loads(body)


@pytest.mark.parametrize("path", JSON_POSTS)
@pytest.mark.parametrize("body", DEEP_BODIES, ids=["array", "object", "limit+1"])
def test_deep_json_on_every_json_post_is_a_400_problem(api, path, body):
    assert "deeper than" in assert_problem(api.post(path, body), 400)["detail"]


@pytest.mark.parametrize("body", DEEP_BODIES, ids=["array", "object", "limit+1"])
def test_deep_json_in_the_budgets_put_is_a_400_problem(client, budgets_token, body):
    response = client.put(
        "/api/v1/budgets",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {budgets_token}"},
    )
    assert "deeper than" in assert_problem(response, 400)["detail"]


@pytest.mark.parametrize("body", DEEP_BODIES, ids=["array", "object", "limit+1"])
def test_a_deep_signed_webhook_is_a_400_problem(client, body):
    assert_problem(deliver(client, "push", body), 400)


def test_deep_json_on_the_budgets_page_is_a_422_form_error(client, ci_domain):
    user = UserFactory()
    member(user, ci_domain, "admin")
    client.force_login(user)
    response = client.post(
        f"/d/{ci_domain.slug}/budgets/", {"document": DEEP_ARRAY.decode()}
    )
    assert response.status_code == 422
    assert b"deeper than" in response.content


FORGED_CURSORS = [
    '["garbage",1]',
    "[5,1]",
    b64(["garbage", 1]),
    b64([5, 1]),
    b64(["2025-01-01T00:00:00+00:00", "1"]),
    b64(["2025-01-01T00:00:00+00:00", 2**70]),
    b64(["2025-01-01T00:00:00", 1]),
    base64.urlsafe_b64encode(DEEP_ARRAY).decode(),
]


@pytest.mark.parametrize("path", ["/api/v1/ci/runs", "/api/v1/flaky-tests"])
@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_a_cursor_of_the_wrong_types_is_a_400_problem(api, path, cursor):
    response = api.get(path, {"cursor": cursor})
    # A cursor longer than any this server issues is refused by its schema (422).
    assert_problem(response, 422 if len(cursor) > 1000 else 400)


@pytest.mark.parametrize(
    "query",
    [
        "branch=a%00b",
        "repository=a%00b",
        "cursor=%00",
        "branch=%ED%A0%80",
        "repository=x%ED%B0%80y",
        "workflow=a%00b",
        "status=%00",
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/ci/runs", "/api/v1/flaky-tests", "/api/v1/gates/abc123"]
)
def test_nul_is_a_400_and_a_lone_surrogate_is_filtered_safely(api, path, query):
    response = api.client.get(f"{path}?{query}", headers=api.headers())
    if "%00" in query:
        assert_problem(response, 400)
    else:  # UTF-8 decoding replaces the broken bytes (U+FFFD): a plain filter
        assert response.status_code in (200, 404), response.content


def test_a_missing_run_or_report_is_a_404_problem(api):
    assert_problem(api.get("/api/v1/ci/runs/123456789"), 404)
    assert_problem(api.get("/api/v1/ci/reports/123456789"), 404)
