"""Every JSON write endpoint refuses what its columns cannot hold with a 422
naming the field, never a 500: integers out of the column's range, NaN, Infinity
and 1e400, NUL characters, over-long strings, naive or out-of-range timestamps,
malformed commit shas. Then hypothesis throws arbitrary JSON at every field."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.models import PerfBudget, PerfSample, QueryPlan, Run
from tests.pipelines.test_api import SHA, perf_body, run_body

pytestmark = pytest.mark.django_db

HOLE = "__value_under_test__"


def plan_body(**overrides) -> dict:
    return {
        "repository": "octo-org/octo-repo",
        "commit_sha": SHA,
        "query_name": "orders_by_id",
        "plan": [
            {
                "Plan": {
                    "Node Type": "Index Scan",
                    "Relation Name": "orders",
                    "Startup Cost": 0.42,
                    "Total Cost": 8.44,
                }
            }
        ],
        **overrides,
    }


def with_raw(body: dict, field: str, raw: str) -> str:
    """The body as JSON text with `raw` (NaN, 1e400… are not Python values)
    as the value of `field`."""
    return json.dumps({**body, field: HOLE}).replace(json.dumps(HOLE), raw)


WHOLE_NUMBERS = [
    "2147483648",  # PositiveIntegerField ends at 2**31 - 1
    "9223372036854775808",
    "-1",
    "0",
    "1.5",
    "1e400",
    "1" + "0" * 400,
    "true",
    '"7"',
]
NUMBERS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "-0.5",
    "1" + "0" * 400,
    "true",
    '"12.5"',
]
SHAS = [
    '"xyz"',
    '"abc"',
    '"' + "g" * 40 + '"',
    '"' + "a" * 65 + '"',
    '"abcdef0\\u0000"',
]
TIMESTAMPS = [
    '"2026-01-01T00:00:00"',  # no offset
    '"2026-01-01"',
    '"0001-01-01T00:00:00Z"',
    '"1969-12-31T23:59:59Z"',
    '"9999-12-31T23:59:59-23:59"',  # past year 9999 in UTC
    '"2026-02-30T00:00:00Z"',
    '"yesterday"',
    "1700000000",
]


def texts(max_length: int) -> list[str]:
    return [json.dumps("x" * (max_length + 1)), '"main\\u0000"']


# (path, valid body, field, raw JSON values that must be refused)
CASES = [
    *[("/api/v1/ci/runs", run_body(), "attempt", v) for v in WHOLE_NUMBERS],
    *[("/api/v1/ci/runs", run_body(), "pull_request_number", v) for v in WHOLE_NUMBERS],
    *[("/api/v1/ci/runs", run_body(), "commit_sha", v) for v in SHAS],
    *[
        ("/api/v1/ci/runs", run_body(status="completed"), field, v)
        for field in ("started_at", "completed_at", "updated_at")
        for v in TIMESTAMPS
    ],
    *[
        ("/api/v1/ci/runs", run_body(), field, v)
        for field, limit in [
            ("provider", 40),
            ("external_id", 64),
            ("repository", 140),
            ("branch", 255),
            ("workflow", 255),
            ("url", 500),
        ]
        for v in texts(limit)
    ],
    *[
        ("/api/v1/perf", perf_body(), field, v)
        for field in ("p50_ms", "p95_ms", "p99_ms", "peak_memory_mb")
        for v in NUMBERS
    ],
    *[("/api/v1/perf", perf_body(), "sample_count", v) for v in WHOLE_NUMBERS],
    *[("/api/v1/perf", perf_body(), "commit_sha", v) for v in SHAS],
    *[
        ("/api/v1/perf", perf_body(), field, v)
        for field, limit in [
            ("repository", 140),
            ("scenario", 200),
            ("branch", 255),
            ("base_branch", 255),
            ("service", 50),
        ]
        for v in texts(limit)
    ],
    *[("/api/v1/query-plans", plan_body(), "commit_sha", v) for v in SHAS],
    *[
        ("/api/v1/query-plans", plan_body(), field, v)
        for field, limit in [
            ("repository", 140),
            ("query_name", 200),
            ("branch", 255),
            ("service", 50),
        ]
        for v in texts(limit)
    ],
    *[
        ("/api/v1/query-plans", plan_body(), "plan", raw)
        for raw in [
            '[{"Plan": {"Node Type": "Seq Scan", "Startup Cost": 0, '
            '"Total Cost": NaN}}]',
            '[{"Plan": {"Node Type": "Seq Scan", "Startup Cost": 0, '
            '"Total Cost": 1e400}}]',
            '[{"Plan": {"Node Type": "Seq Scan", "Startup Cost": 0, '
            '"Total Cost": 1' + "0" * 400 + "}}]",
            '[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "a\\u0000", '
            '"Startup Cost": 0, "Total Cost": 1}}]',
            json.dumps(
                '[{"Plan": {"Node Type": "Seq Scan", "Startup Cost": 0, '
                '"Total Cost": Infinity}}]'
            ),  # as the string psql prints
            "[" * 300 + "]" * 300,
        ]
    ],
]


def _case_id(case) -> str:
    path, _, field, raw = case
    return f"{path.rsplit('/', 1)[-1]}-{field}-{raw[:24]}"


@pytest.mark.parametrize(
    ("path", "body", "field", "raw"), CASES, ids=[_case_id(c) for c in CASES]
)
def test_a_value_the_column_cannot_hold_is_422_naming_the_field(
    api, path, body, field, raw
):
    response = api.post(path, with_raw(body, field, raw))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert field in [e["field"] for e in problem["errors"]]
    assert f"{field}: " in problem["detail"]
    assert not (
        Run.objects.exists()
        or PerfSample.objects.exists()
        or QueryPlan.objects.exists()
    )


BUDGET_CASES = [
    *[("perf", {"scenario": "s"}, "p95_ms_max", v) for v in NUMBERS],
    *[("perf", {"p95_ms_max": 1}, "scenario", v) for v in texts(200)],
    *[("perf", {"p95_ms_max": 1}, "service", v) for v in texts(50)],
    *[("query_plans", {"query_name": "q"}, "max_total_cost", v) for v in NUMBERS],
    *[("query_plans", {"max_total_cost": 1}, "query_name", v) for v in texts(200)],
]


@pytest.mark.parametrize(("kind", "budget", "field", "raw"), BUDGET_CASES)
def test_a_budget_the_columns_cannot_hold_is_422_naming_the_field(
    client, ci_domain, budgets_token, kind, budget, field, raw
):
    document = json.dumps({kind: [{**budget, field: HOLE}]}).replace(
        json.dumps(HOLE), raw
    )
    response = client.put(
        "/api/v1/budgets",
        document,
        content_type="application/json",
        headers={"Authorization": f"Bearer {budgets_token}"},
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert f"{kind}[0].{field}" in response.json()["detail"]
    assert not PerfBudget.objects.exists()


# --- Anything at all ------------------------------------------------------------------
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([2**31 - 1, 2**31, 2**63, 10**400, -(10**400)])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=300)
    | st.text(alphabet="\x00abc09", max_size=10)
    | st.sampled_from(
        ["", SHA, SHA.upper(), "2024-02-29T23:59:59Z", "9999-12-31T23:59:59-23:59"]
    )
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def _arbitrary(body: dict) -> st.SearchStrategy[dict]:
    """The valid body with some of its fields replaced by anything."""
    return st.dictionaries(st.sampled_from(sorted(body)), JSON_VALUES, max_size=4).map(
        lambda changes: {**body, **changes}
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/ci/runs", run_body()),
        ("/api/v1/perf", perf_body()),
        ("/api/v1/query-plans", plan_body()),
    ],
)
def test_no_body_is_a_500(api, path, body):
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(data=_arbitrary(body))
    def post(data: dict) -> None:
        response = api.post(path, json.dumps(data))  # NaN and Infinity as JSON has them
        assert response.status_code in (200, 201, 422), response.content
        if response.status_code == 422:
            fields = {e["field"] for e in response.json()["errors"]}
            assert fields <= set(body), fields

    post()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    perf=st.lists(
        st.dictionaries(
            st.sampled_from(["service", "scenario", "p95_ms_max", "memory_mb_max"]),
            JSON_VALUES,
        ),
        max_size=2,
    )
)
def test_no_budgets_document_is_a_500(client, ci_domain, budgets_token, perf):
    response = client.put(
        "/api/v1/budgets",
        json.dumps({"perf": perf}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {budgets_token}"},
    )
    assert response.status_code in (200, 422), response.content
