"""A real Celery worker evaluates a commit's gates and posts them to the fake
GitHub: success, a 502 retried, a rate limit waited out, a 422 dead-lettered."""

import json
import re

import pytest

from dashboard.domains.services import ingest_token_create
from dashboard.models import DeadLetter
from pipelines.gates.services import gates
from pipelines.gates.services.budgets import budgets_replace
from pipelines.models import GateVerdict
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.factories import (
    PerfSampleFactory,
    RunFactory,
    results_for,
    sha_for,
)
from tests.platform.test_worker import wait_for

pytest_plugins = ["tests.fakes.plugin"]
pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]

SHA = sha_for("worker commit")


@pytest.fixture
def repo():
    return RepositoryFactory(
        domain=DomainFactory(slug="paiements"), full_name="o/r", default_branch="main"
    )


def failing_tests(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"test_ok": "passed", "test_refund": "failed"})


def posted(context="controlplane/tests"):
    verdict = GateVerdict.objects.filter(sha=SHA, context=context).first()
    return verdict if verdict is not None and verdict.posted_at else None


def test_verdicts_are_posted_to_github_by_the_worker(repo, fake_github, github_worker):
    failing_tests(repo)
    budgets_replace(domain=repo.domain, document={"perf": [{"p95_ms_max": 250}]})
    PerfSampleFactory(repository=repo, commit_sha=SHA, p95_ms=312)

    gates.gates_evaluate_enqueue(repository_id=repo.pk, sha=SHA)

    wait_for(posted, 40, "the tests verdict posted", github_worker)
    wait_for(lambda: posted("controlplane/perf"), 40, "perf posted", github_worker)
    statuses = {s["context"]: s for s in fake_github.statuses("o/r", SHA)}
    assert statuses["controlplane/tests"]["state"] == "failure"
    assert statuses["controlplane/tests"]["description"] == "1 of 2 tests failed"
    assert statuses["controlplane/tests"]["target_url"] == (
        f"https://cp.example.org/d/paiements/commits/{SHA}/?repository=o/r"
    )
    assert statuses["controlplane/perf"]["state"] == "failure"
    assert statuses["controlplane/perf"]["description"] == "p95 312 ms > budget 250 ms"
    posts = [r for r in fake_github.requests if r.method == "POST"]
    assert {r.path for r in posts} == {f"/repos/o/r/statuses/{SHA}"}
    assert all(r.header("Authorization") == f"token {fake_github.token}" for r in posts)
    # The request id of the task travels to GitHub.
    assert all(r.header("X-Request-ID") for r in posts)
    verdict = posted()
    assert verdict.posted_state == "failure" and verdict.post_error == ""


def test_a_bad_gateway_is_retried_until_github_accepts(
    repo, fake_github, github_worker
):
    failing_tests(repo)
    fake_github.fail_next("bad_gateway", times=2, path_contains="/statuses/")

    gates.gates_evaluate_enqueue(repository_id=repo.pk, sha=SHA)

    verdict = wait_for(posted, 60, "the verdict posted after retries", github_worker)
    answers = [r.answered for r in fake_github.requests if r.method == "POST"]
    assert answers == [502, 502, 201]
    assert verdict.post_error == ""
    assert not DeadLetter.objects.exists()


def test_a_rate_limit_waits_for_the_reset_then_posts(repo, fake_github, github_worker):
    failing_tests(repo)
    fake_github.rate_limit_reset_in = 3
    fake_github.fail_next("rate_limited", path_contains="/statuses/")

    gates.gates_evaluate_enqueue(repository_id=repo.pk, sha=SHA)

    wait_for(posted, 60, "the verdict posted after the reset", github_worker)
    answers = [r.answered for r in fake_github.requests if r.method == "POST"]
    assert answers == [403, 201]
    # The countdown is the time left until X-RateLimit-Reset (an epoch second
    # 3 s ahead), not the backoff's first step (at most 1 s).
    match = re.search(
        r"Retry in ([0-9.]+)s: TransientError\('GitHub rate limit",
        github_worker.output(),
    )
    assert match and 2 <= float(match.group(1)) <= 3


def test_a_validation_failure_is_dead_lettered_at_once_with_githubs_reason(
    repo, fake_github, github_worker
):
    failing_tests(repo)
    fake_github.fail_next("validation", times=100, path_contains="/statuses/")

    gates.gates_evaluate_enqueue(repository_id=repo.pk, sha=SHA)

    letter = wait_for(
        lambda: DeadLetter.objects.filter(
            task_name="github.post_commit_status"
        ).first(),
        40,
        "a dead letter",
        github_worker,
    )
    assert letter.attempts == 1
    assert "PermanentError" in letter.error
    assert "422" in letter.error and "No commit found for SHA" in letter.error
    assert letter.domain == repo.domain
    verdict = GateVerdict.objects.get(sha=SHA, context="controlplane/tests")
    assert verdict.posted_at is None
    assert "422" in verdict.post_error
    assert [r.answered for r in fake_github.requests if r.method == "POST"] == [422]


def test_from_ci_upload_to_github_status_with_published_files(
    client, repo, fake_github, github_worker, testdata
):
    """What CI does: budgets applied, a run, a real pytest JUnit report, a real
    EXPLAIN; GitHub ends up with the verdicts."""
    token = ingest_token_create(domain=repo.domain, name="ci", scopes=["ci", "budgets"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}
    budgets = {
        "query_plans": [
            {
                "query_name": "users_with_posts",
                "max_total_cost": 1000,
                "no_seq_scan_tables": ["users"],
            }
        ]
    }
    response = client.put(
        "/api/v1/budgets", json.dumps(budgets), "application/json", **headers
    )
    assert response.status_code == 200
    run = {
        "provider": "jenkins",
        "external_id": "4711",
        "repository": "o/r",
        "commit_sha": SHA,
        "branch": "feature/x",
        "status": "completed",
        "conclusion": "failure",
    }
    response = client.post(
        "/api/v1/ci/runs", json.dumps(run), "application/json", **headers
    )
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    report = (testdata / "junit" / "pytest__junit.fail.xml").read_bytes()
    response = client.post(
        f"/api/v1/ci/runs/{run_id}/junit", report, "application/xml", **headers
    )
    assert response.status_code == 202, response.content
    plan = json.loads(
        (
            testdata / "explain" / "pg_flame__plan.explain-analyze-buffers.json"
        ).read_text()
    )
    response = client.post(
        "/api/v1/query-plans",
        json.dumps(
            {
                "repository": "o/r",
                "commit_sha": SHA,
                "query_name": "users_with_posts",
                "plan": plan,
            }
        ),
        "application/json",
        **headers,
    )
    assert response.status_code == 201, response.content

    def github_has_both():
        # The latest status per context; "pending" while the report is parsed.
        statuses = {s["context"]: s for s in fake_github.statuses("o/r", SHA)}
        done = {"controlplane/tests", "controlplane/query-plans"} <= set(statuses)
        final = all(s["state"] != "pending" for s in statuses.values())
        return statuses if done and final else None

    statuses = wait_for(github_has_both, 60, "both statuses on GitHub", github_worker)
    # The publisher's expected counts for this file: 5 tests, 1 failed.
    assert statuses["controlplane/tests"]["state"] == "failure"
    assert statuses["controlplane/tests"]["description"] == "1 of 5 tests failed"
    assert statuses["controlplane/query-plans"]["state"] == "failure"
    assert statuses["controlplane/query-plans"]["description"] == (
        "users_with_posts cost 2,869 > budget 1,000; Seq Scan on users"
    )
    response = client.get(f"/api/v1/gates/{SHA}?repository=o/r", **headers)
    assert {v["context"]: v["posted_state"] for v in response.json()["verdicts"]} == {
        "controlplane/tests": "failure",
        "controlplane/query-plans": "failure",
    }
