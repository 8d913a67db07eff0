"""A real Celery worker evaluates a commit's gates and posts them to the fake
GitHub: success, a 502 retried, a rate limit waited out, a 422 dead-lettered."""

import re

import pytest

from dashboard.models import DeadLetter
from pipelines.models import GateVerdict
from pipelines.services import gates
from pipelines.services.budgets import budgets_replace
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.gates_factories import (
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
