"""The generic CI API: runs, JUnit uploads, perf samples, query plans, listing,
Idempotency-Key, and every bad input a 4xx problem."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dashboard.domains import services as dashboard_services
from dashboard.models import OutboxState
from pipelines.ingest.services import junit
from pipelines.models import IdempotencyRecord, PerfSample, QueryPlan, Run, TestReport
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.conftest import FIXTURES
from tests.pipelines.factories import RunFactory
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db

SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"


def run_body(**overrides) -> dict:
    return {
        "provider": "jenkins",
        "external_id": "build-417",
        "attempt": 1,
        "repository": "octo-org/octo-repo",
        "commit_sha": SHA,
        "branch": "main",
        "workflow": "integration",
        "status": "in_progress",
        "started_at": "2024-02-29T23:59:59Z",
        **overrides,
    }


def test_a_run_is_created_then_advanced_by_its_natural_key(api):
    created = api.post("/api/v1/ci/runs", run_body())
    assert created.status_code == 201
    body = created.json()
    assert body["result"] == "created" and body["status"] == "in_progress"
    assert created["Location"] == body["api_url"]

    done = api.post(
        "/api/v1/ci/runs",
        run_body(
            status="completed",
            conclusion="failure",
            completed_at="2024-03-01T00:05:00Z",
        ),
    )
    assert done.status_code == 200
    assert done.json()["id"] == body["id"]
    assert (done.json()["status"], done.json()["conclusion"]) == (
        "completed",
        "failure",
    )
    assert Run.objects.count() == 1


def test_a_late_in_progress_does_not_reopen_a_completed_run(api):
    api.post("/api/v1/ci/runs", run_body(status="completed", conclusion="success"))
    late = api.post("/api/v1/ci/runs", run_body(status="in_progress"))
    assert late.status_code == 200
    assert late.json()["result"] == "unchanged"
    assert late.json()["status"] == "completed"


def test_an_older_report_of_the_same_status_changes_nothing(api):
    api.post(
        "/api/v1/ci/runs",
        run_body(
            status="completed", conclusion="success", updated_at="2026-01-02T00:00:00Z"
        ),
    )
    older = api.post(
        "/api/v1/ci/runs",
        run_body(
            status="completed",
            conclusion="cancelled",
            updated_at="2026-01-01T00:00:00Z",
        ),
    )
    assert older.json()["conclusion"] == "success"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"provider": None}, "provider"),
        ({"commit_sha": "xyz"}, "commit_sha"),
        ({"commit_sha": "abc"}, "commit_sha"),
        ({"status": "exploded"}, "status"),
        ({"attempt": 0}, "attempt"),
        ({"attempt": "2"}, "attempt"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-01-01T00:00:00"}, "started_at"),  # no offset
        ({"conclusion": "success"}, "conclusion"),  # not completed
        ({"url": "javascript:alert(1)"}, "url"),
        ({"external_id": "x" * 65}, "external_id"),
    ],
)
def test_invalid_run_fields_are_422_naming_the_field(api, change, field):
    response = api.post(
        "/api/v1/ci/runs",
        {k: v for k, v in run_body(**change).items() if v is not None},
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_repository_of_another_domain_is_422(api):
    RepositoryFactory(domain=DomainFactory(), full_name="other/secret")
    response = api.post("/api/v1/ci/runs", run_body(repository="other/secret"))
    assert response.status_code == 422
    assert "not mapped to domain payments-ci" in response.json()["detail"]


@pytest.mark.parametrize("body", [b"{", b"[]", b'"run"'])
def test_a_body_that_is_not_a_json_object_is_400(api, body):
    assert api.post("/api/v1/ci/runs", body).status_code == 400


def test_no_token_is_401_and_a_token_without_ci_is_403(client, ci_domain):
    assert (
        client.post(
            "/api/v1/ci/runs", "{}", content_type="application/json"
        ).status_code
        == 401
    )
    slo_only = dashboard_services.ingest_token_create(
        domain=ci_domain, name="slo", scopes=["slo"]
    )
    response = client.post(
        "/api/v1/ci/runs",
        json.dumps(run_body()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {slo_only.plaintext}"},
    )
    assert response.status_code == 403


# --- Idempotency-Key ------------------------------------------------------------
def test_the_same_key_and_body_replays_the_first_answer(api):
    first = api.post("/api/v1/ci/runs", run_body(), key="k-1")
    again = api.post("/api/v1/ci/runs", run_body(), key="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Run.objects.count() == 1


def test_the_same_key_with_another_body_is_409(api):
    api.post("/api/v1/ci/runs", run_body(), key="k-2")
    response = api.post(
        "/api/v1/ci/runs", run_body(status="completed", conclusion="success"), key="k-2"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "different request" in response.json()["detail"]
    assert Run.objects.get().status == "in_progress"


def test_keys_are_per_domain(api, client):
    other = DomainFactory(slug="other-domain")
    RepositoryFactory(domain=other, full_name="other/repo")
    token = dashboard_services.ingest_token_create(
        domain=other, name="ci", scopes=["ci"]
    ).plaintext
    api.post("/api/v1/ci/runs", run_body(), key="shared")
    response = client.post(
        "/api/v1/ci/runs",
        json.dumps(run_body(repository="other/repo")),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "shared"},
    )
    assert response.status_code == 201
    assert Run.objects.count() == 2


def test_an_invalid_first_answer_is_replayed_too(api):
    bad = run_body(status="exploded")
    assert api.post("/api/v1/ci/runs", bad, key="k-3").status_code == 422
    again = api.post("/api/v1/ci/runs", bad, key="k-3")
    assert again.status_code == 422 and again["Idempotent-Replayed"] == "true"


def test_an_over_long_key_is_400(api):
    assert api.post("/api/v1/ci/runs", run_body(), key="k" * 256).status_code == 400


# --- Listing --------------------------------------------------------------------
def test_runs_list_filters_by_repository_and_branch_and_pages_by_cursor(api, ci_domain):
    repo = ci_domain.repositories.get(full_name="octo-org/octo-repo")
    other_repo = ci_domain.repositories.get(full_name="Codertocat/Hello-World")
    RunFactory.create_batch(5, repository=repo, branch="main")
    RunFactory.create_batch(2, repository=repo, branch="dev")
    RunFactory.create_batch(3, repository=other_repo, branch="main")
    RunFactory(repository=RepositoryFactory(full_name="elsewhere/x"), branch="main")

    seen = []
    params = {"repository": "OCTO-ORG/octo-repo", "branch": "main", "page_size": 2}
    while True:
        page = api.get("/api/v1/ci/runs", params).json()
        seen += page["items"]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == 5 and len({r["id"] for r in seen}) == 5
    assert {(r["repository"], r["branch"]) for r in seen} == {
        ("octo-org/octo-repo", "main")
    }
    starts = [r["started_at"] for r in seen]
    assert starts == sorted(starts, reverse=True)
    assert (
        len(api.get("/api/v1/ci/runs").json()["items"]) == 10
    )  # never another domain's


def test_runs_list_caps_the_page_size_and_refuses_a_forged_cursor(api, ci_domain):
    assert api.get("/api/v1/ci/runs", {"page_size": 100000}).json()["page_size"] == 200
    response = api.get("/api/v1/ci/runs", {"cursor": "forged!!"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_runs_list_query_count_is_constant_in_rows(api, ci_domain, ci_token):
    repo = ci_domain.repositories.first()
    api.get("/api/v1/ci/runs")  # token last-used write happens once
    assert_constant_queries(
        lambda n: RunFactory.create_batch(n, repository=repo),
        lambda: api.get("/api/v1/ci/runs"),
    )


# --- JUnit uploads --------------------------------------------------------------
@pytest.fixture
def run(ci_domain):
    return RunFactory(
        repository=ci_domain.repositories.get(full_name="octo-org/octo-repo")
    )


def test_a_junit_report_is_stored_and_answered_202_with_a_status_url(api, run):
    body = (FIXTURES / "surefire.xml").read_bytes()
    response = api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", body)
    assert response.status_code == 202
    report = TestReport.objects.get()
    assert response["Location"] == f"/api/v1/ci/reports/{report.pk}"
    assert response.json()["state"] == "pending" and response.json()["counts"] is None
    assert response.json()["testcases_seen"] == 5
    with report.file.open("rb") as fh:
        assert fh.read() == body  # kept byte for byte for the worker

    junit.report_parse(report_id=report.pk)  # what the worker does
    status = api.get(f"/api/v1/ci/reports/{report.pk}").json()
    assert status["state"] == "done"
    assert status["counts"] == {
        "suites": 1,
        "tests": 5,
        "passed": 2,
        "failures": 1,
        "errors": 1,
        "skipped": 1,
        "duration_seconds": 1234.5,
    }
    detail = api.get(f"/api/v1/ci/runs/{run.pk}").json()
    assert detail["test_summary"]["tests"] == 5
    assert detail["test_summary"]["failures"] == 1


def test_parsing_twice_counts_once(api, run, testdata):
    body = (testdata / "junit/pytest__junit.fail.xml").read_bytes()
    api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", body)
    report = TestReport.objects.get()
    junit.report_parse(report_id=report.pk)
    TestReport.objects.filter(pk=report.pk).update(
        state=OutboxState.PENDING
    )  # a re-run
    junit.report_parse(report_id=report.pk)
    assert report.results.count() == 5
    assert report.results.filter(outcome="failed").get().name == "test_rsh_events"


def test_a_multipart_upload_works(api, run):
    upload = SimpleUploadedFile(
        "TEST-RankerTest.xml", (FIXTURES / "gradle.xml").read_bytes()
    )
    response = api.client.post(
        f"/api/v1/ci/runs/{run.pk}/junit", {"file": upload}, headers=api.headers()
    )
    assert response.status_code == 202
    assert response.json()["filename"] == "TEST-RankerTest.xml"
    assert response.json()["testcases_seen"] == 4


def test_malformed_xml_is_422_with_line_and_column_and_nothing_kept(api, run, testdata):
    body = (testdata / "junit/pytest__corrupt-xml.MALFORMED.xml").read_bytes()
    response = api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["line"], response.json()["column"]) == (11, 22)
    assert not TestReport.objects.exists()


def test_an_xml_bomb_is_422_with_a_clear_detail(api, run):
    response = api.post_xml(
        f"/api/v1/ci/runs/{run.pk}/junit",
        (FIXTURES / "billion-laughs.xml").read_bytes(),
    )
    assert response.status_code == 422
    assert "entity declarations are refused" in response.json()["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/json"])
def test_another_content_type_is_415(api, run, content_type):
    response = api.post_xml(
        f"/api/v1/ci/runs/{run.pk}/junit", b"<testsuite/>", content_type=content_type
    )
    assert response.status_code == 415


def test_a_blank_report_is_422(api, run):
    response = api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", b"\n  \n")
    assert response.status_code == 422
    assert "no element found" in response.json()["detail"]


def test_a_declared_length_over_the_limit_is_413_without_reading(api, run, monkeypatch):
    from pipelines.ingest import api as pipelines_api

    monkeypatch.setattr(pipelines_api, "JUNIT_MAX_BYTES", 1000)
    response = api.client.post(
        f"/api/v1/ci/runs/{run.pk}/junit",
        b"<testsuite/>",
        content_type="application/xml",
        headers=api.headers(),
        CONTENT_LENGTH="1001",
    )
    assert response.status_code == 413
    assert not TestReport.objects.exists()


def test_an_oversized_report_is_413(api, run, monkeypatch):
    from pipelines.ingest import api as pipelines_api

    monkeypatch.setattr(pipelines_api, "JUNIT_MAX_BYTES", 1000)
    body = b"<testsuite>" + b"<testcase name='x'/>" * 100 + b"</testsuite>"
    assert api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", body).status_code == 413


def test_a_run_of_another_domain_is_404(api):
    foreign = RunFactory()
    response = api.post_xml(f"/api/v1/ci/runs/{foreign.pk}/junit", b"<testsuite/>")
    assert response.status_code == 404
    assert api.get(f"/api/v1/ci/runs/{foreign.pk}").status_code == 404


def test_a_junit_upload_replays_by_idempotency_key(api, run):
    body = (FIXTURES / "jest-junit.xml").read_bytes()
    first = api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", body, key="upload-1")
    again = api.post_xml(f"/api/v1/ci/runs/{run.pk}/junit", body, key="upload-1")
    assert again.json()["id"] == first.json()["id"]
    assert TestReport.objects.count() == 1
    other = api.post_xml(
        f"/api/v1/ci/runs/{run.pk}/junit",
        (FIXTURES / "gradle.xml").read_bytes(),
        key="upload-1",
    )
    assert other.status_code == 409


# --- Perf samples ------------------------------------------------------------------
def perf_body(**overrides) -> dict:
    return {
        "repository": "octo-org/octo-repo",
        "commit_sha": SHA,
        "branch": "feature/fast",
        "base_branch": "main",
        "scenario": "checkout p95",
        "p50_ms": 120.5,
        "p95_ms": 312,
        "p99_ms": 480.25,
        "peak_memory_mb": 612.0,
        "sample_count": 5000,
        **overrides,
    }


def test_a_perf_sample_is_recorded_and_a_repeat_replaces_it(api):
    first = api.post("/api/v1/perf", perf_body())
    assert first.status_code == 201
    assert first.json()["p95_ms"] == 312.0
    again = api.post("/api/v1/perf", perf_body(p95_ms=300))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert PerfSample.objects.get().p95_ms == 300.0


@pytest.mark.parametrize(
    "change",
    [
        {"p95_ms": -1},
        {"p95_ms": "fast"},
        {"p99_ms": 100},  # p99 < p95
        {"sample_count": 0},
        {"scenario": ""},
        {"p50_ms": True},
    ],
)
def test_invalid_perf_samples_are_422(api, change):
    response = api.post("/api/v1/perf", perf_body(**change))
    assert response.status_code == 422
    assert response.json()["errors"]
    assert not PerfSample.objects.exists()


def test_nan_is_refused(api):
    body = json.dumps(perf_body()).replace("312", "NaN")
    assert api.post("/api/v1/perf", body).status_code == 422


# --- Query plans ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "cost", "seq"),
    [
        (
            "pg_flame__cte.explain-analyze.json",
            15554.36,
            ["comments", "posts", "users"],
        ),
        ("pg_flame__plan.explain-analyze-buffers.json", 2869.01, ["posts", "users"]),
    ],
)
def test_published_explain_output_is_recorded_with_cost_and_seq_scans(
    api, testdata, name, cost, seq
):
    plan = json.loads((testdata / f"explain/{name}").read_text())
    response = api.post(
        "/api/v1/query-plans",
        {
            "repository": "octo-org/octo-repo",
            "commit_sha": SHA,
            "query_name": "users_with_posts",
            "plan": plan,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["total_cost"] == cost
    assert body["seq_scan_relations"] == seq
    assert body["analyzed"] is True and body["buffers"] is True
    assert {"node_type": "Seq Scan", "relation": "users"} in body["nodes"]


def test_a_plan_sent_as_the_string_psql_prints_is_accepted_and_a_repeat_replaces(
    api, testdata
):
    text = (
        testdata / "explain/pg_flame__plan.explain-analyze-buffers.json"
    ).read_text()
    body = {
        "repository": "octo-org/octo-repo",
        "commit_sha": SHA,
        "query_name": "q",
        "plan": text,
    }
    assert api.post("/api/v1/query-plans", body).status_code == 201
    assert api.post("/api/v1/query-plans", body).status_code == 200
    assert QueryPlan.objects.count() == 1


def test_a_plain_explain_without_analyze(api):
    plan = [
        {
            "Plan": {
                "Node Type": "Index Scan",
                "Relation Name": "orders",
                "Startup Cost": 0.42,
                "Total Cost": 8.44,
                "Plan Rows": 1,
                "Plan Width": 40,
            }
        }
    ]
    body = api.post(
        "/api/v1/query-plans",
        {
            "repository": "octo-org/octo-repo",
            "commit_sha": SHA,
            "query_name": "order_by_id",
            "plan": plan,
        },
    ).json()
    assert (body["analyzed"], body["buffers"], body["total_cost"]) == (
        False,
        False,
        8.44,
    )
    assert body["seq_scan_relations"] == []


@pytest.mark.parametrize(
    "plan",
    [
        {"not": "a plan"},
        [],
        [{"Plan": {"Node Type": "Seq Scan"}}],  # no costs
        "SELECT 1",
        [
            {
                "Plan": {
                    "Node Type": "Hash",
                    "Startup Cost": 1,
                    "Total Cost": 2,
                    "Plans": "x",
                }
            }
        ],
    ],
)
def test_what_is_not_explain_json_is_422(api, plan):
    response = api.post(
        "/api/v1/query-plans",
        {
            "repository": "octo-org/octo-repo",
            "commit_sha": SHA,
            "query_name": "q",
            "plan": plan,
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("plan")


def test_every_post_honours_idempotency_keys(api, testdata):
    plan = json.loads(
        (testdata / "explain/pg_flame__cte.explain-analyze.json").read_text()
    )
    q = {
        "repository": "octo-org/octo-repo",
        "commit_sha": SHA,
        "query_name": "q",
        "plan": plan,
    }
    assert api.post("/api/v1/query-plans", q, key="p").status_code == 201
    assert api.post("/api/v1/query-plans", q, key="p")["Idempotent-Replayed"] == "true"
    assert api.post("/api/v1/perf", perf_body(), key="f").status_code == 201
    assert api.post("/api/v1/perf", perf_body(p95_ms=1), key="f").status_code == 409
    assert IdempotencyRecord.objects.count() == 2


def test_run_detail_query_count_is_constant_in_reports(api, run):
    from tests.pipelines.factories import TestReportFactory

    api.get(f"/api/v1/ci/runs/{run.pk}")  # token last-used write happens once
    assert_constant_queries(
        lambda n: TestReportFactory.create_batch(n, run=run),
        lambda: api.get(f"/api/v1/ci/runs/{run.pk}"),
    )


@pytest.mark.parametrize(
    "root, node, named",
    [
        ({"Total Cost": "NaN"}, {}, 'Plan node 1 (Hash Join): "Total Cost"'),
        ({}, {"Plan Rows": "1e400"}, 'Plan node 2 (Seq Scan on orders): "Plan Rows"'),
        ({}, {"Startup Cost": "-Infinity"}, 'node 2 (Seq Scan on orders): "Startup'),
        ({"Actual Total Time": "nan"}, {}, '"Actual Total Time" must be a finite'),
    ],
)
def test_a_plan_with_a_non_finite_number_is_422_naming_the_node(api, root, node, named):
    plan = [
        {
            "Plan": {
                "Node Type": "Hash Join",
                "Startup Cost": 1.0,
                "Total Cost": 20.5,
                **root,
                "Plans": [
                    {
                        "Node Type": "Seq Scan",
                        "Relation Name": "orders",
                        "Startup Cost": 0.0,
                        "Total Cost": 10.0,
                        **node,
                    }
                ],
            }
        }
    ]
    response = api.post(
        "/api/v1/query-plans",
        {
            "repository": "octo-org/octo-repo",
            "commit_sha": SHA,
            "query_name": "q",
            "plan": plan,
        },
    )
    assert response.status_code == 422
    assert named in response.json()["detail"]
    assert not QueryPlan.objects.exists()
