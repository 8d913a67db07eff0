"""Gate evaluation: verdicts and the one-line reasons people read on GitHub."""

import pytest

from pipelines.gates.services import budgets as budget_services
from pipelines.gates.services import gates
from pipelines.models import FlakyTest, GateVerdict, GateVerdictChange
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.factories import (
    PerfSampleFactory,
    QueryPlanFactory,
    RunFactory,
    TestReportFactory,
    results_for,
    sha_for,
)

pytestmark = pytest.mark.django_db

SHA = sha_for("the commit")


@pytest.fixture(autouse=True)
def _github_configured(settings):
    settings.GITHUB_TOKEN = "ghp_configured"


@pytest.fixture
def repo():
    return RepositoryFactory(
        domain=DomainFactory(), full_name="acme/paiements", default_branch="main"
    )


def set_budgets(repo, perf=(), query_plans=()):
    budget_services.budgets_replace(
        domain=repo.domain,
        document={"perf": list(perf), "query_plans": list(query_plans)},
    )


def verdict(repo, context):
    return {v.context: v for v in gates.commit_verdicts(repo, SHA)}.get(context)


# --- tests -----------------------------------------------------------------------------
def test_all_tests_passing_is_a_success(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed", "b": "passed", "c": "skipped"})
    v = verdict(repo, "controlplane/tests")
    assert (v.state, v.description) == ("success", "all 3 tests passed")


def test_a_failing_test_fails_the_gate_and_says_how_many(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed", "b": "failed", "c": "error"})
    v = verdict(repo, "controlplane/tests")
    assert (v.state, v.description) == ("failure", "2 of 3 tests failed")
    assert len(v.details["failing"]) == 2


def test_flaky_tests_are_counted_among_failures_with_thousands_separated(repo):
    first = RunFactory(repository=repo, head_sha=SHA, attempt=1, external_id="77")
    second = RunFactory(repository=repo, head_sha=SHA, attempt=2, external_id="77")
    outcomes = {f"t{i}": "passed" for i in range(1201)}
    outcomes |= {"flaky1": "failed", "flaky2": "error", "broken": "failed"}
    results_for(first, outcomes)
    results_for(second, {"flaky1": "passed", "flaky2": "passed", "broken": "failed"})
    v = verdict(repo, "controlplane/tests")
    assert (v.state, v.description) == ("failure", "3 of 1,204 tests failed (2 flaky)")


def test_tests_that_only_failed_before_passing_on_retry_do_not_fail_the_gate(repo):
    first = RunFactory(repository=repo, head_sha=SHA, attempt=1, external_id="5")
    second = RunFactory(repository=repo, head_sha=SHA, attempt=2, external_id="5")
    results_for(first, {"a": "passed", "b": "failed"})
    results_for(second, {"a": "passed", "b": "passed"})
    v = verdict(repo, "controlplane/tests")
    assert v.state == "success"
    assert v.description == "all 2 tests passed (1 flaky: failed, then passed)"


def test_a_report_not_yet_read_makes_the_gate_pending(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed"})
    TestReportFactory(run=run, state="pending")
    v = verdict(repo, "controlplane/tests")
    assert (v.state, v.description) == (
        "pending",
        "waiting for 1 JUnit report to be read",
    )


def test_an_unreadable_report_is_an_error(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    TestReportFactory(run=run, state="failed")
    assert verdict(repo, "controlplane/tests").state == "error"


def test_no_reports_means_no_tests_verdict(repo):
    RunFactory(repository=repo, head_sha=SHA)
    assert verdict(repo, "controlplane/tests") is None


def test_other_commits_and_repositories_do_not_count(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed"})
    results_for(RunFactory(repository=repo, head_sha=sha_for("other")), {"x": "failed"})
    other_repo = RepositoryFactory(domain=repo.domain)
    results_for(RunFactory(repository=other_repo, head_sha=SHA), {"y": "failed"})
    assert verdict(repo, "controlplane/tests").description == "all 1 tests passed"


# --- perf -------------------------------------------------------------------------------
def baseline(repo, *p95s, branch="main", scenario="checkout", service=""):
    for i, p95 in enumerate(p95s):
        PerfSampleFactory(
            repository=repo,
            commit_sha=sha_for(f"base-{branch}-{scenario}-{i}"),
            branch=branch,
            scenario=scenario,
            service=service,
            p95_ms=p95,
        )


def test_p95_over_budget_fails_with_the_regression_against_main(repo):
    set_budgets(repo, perf=[{"p95_ms_max": 250}])
    baseline(repo, 250, 264, 270)  # median 264: 312 is +18 %
    PerfSampleFactory(repository=repo, commit_sha=SHA, branch="feature", p95_ms=312)
    v = verdict(repo, "controlplane/perf")
    assert (v.state, v.description) == (
        "failure",
        "p95 312 ms > budget 250 ms; +18% vs main",
    )
    assert v.details["samples"][0]["baseline_p95_ms"] == 264


def test_the_base_branch_of_the_sample_is_the_one_compared_with(repo):
    set_budgets(repo, perf=[{"p95_ms_max": 250}])
    baseline(repo, 300, branch="release-2.x")
    baseline(repo, 100)
    PerfSampleFactory(
        repository=repo, commit_sha=SHA, p95_ms=330, base_branch="release-2.x"
    )
    assert verdict(repo, "controlplane/perf").description == (
        "p95 330 ms > budget 250 ms; +10% vs release-2.x"
    )


def test_a_regression_beyond_the_allowed_percentage_fails(repo):
    set_budgets(repo, perf=[{"max_regression_pct": 10}])
    baseline(repo, 200, 200, 200)
    PerfSampleFactory(repository=repo, commit_sha=SHA, branch="feature", p95_ms=230)
    v = verdict(repo, "controlplane/perf")
    assert v.state == "failure"
    assert v.description == "p95 230 ms is +15% vs main median 200 ms > allowed +10%"


def test_memory_over_budget_fails(repo):
    set_budgets(repo, perf=[{"memory_mb_max": 512}])
    PerfSampleFactory(repository=repo, commit_sha=SHA, peak_memory_mb=700.5)
    assert verdict(repo, "controlplane/perf").description == (
        "memory 700 MB > budget 512 MB"
    )


def test_within_budget_is_a_success_that_says_by_how_much(repo):
    set_budgets(repo, perf=[{"p95_ms_max": 250, "max_regression_pct": 20}])
    baseline(repo, 200)
    PerfSampleFactory(repository=repo, commit_sha=SHA, branch="feature", p95_ms=210)
    v = verdict(repo, "controlplane/perf")
    assert (v.state, v.description) == (
        "success",
        "p95 210 ms ≤ budget 250 ms; +5% vs main",
    )


def test_the_most_specific_budget_applies(repo):
    set_budgets(
        repo,
        perf=[
            {"p95_ms_max": 100},
            {"scenario": "search", "p95_ms_max": 1000},
            {"service": "api", "scenario": "search", "p95_ms_max": 500},
        ],
    )
    PerfSampleFactory(
        repository=repo, commit_sha=SHA, service="api", scenario="search", p95_ms=600
    )
    assert verdict(repo, "controlplane/perf").description.startswith(
        "p95 600 ms > budget 500 ms"
    )


def test_several_failing_scenarios_name_the_first_and_count_the_rest(repo):
    set_budgets(repo, perf=[{"p95_ms_max": 100}])
    for scenario in ("browse", "checkout", "search"):
        PerfSampleFactory(
            repository=repo, commit_sha=SHA, scenario=scenario, p95_ms=150
        )
    assert verdict(repo, "controlplane/perf").description == (
        "browse: p95 150 ms > budget 100 ms (+2 more)"
    )


def test_no_budget_passes_with_a_note(repo):
    PerfSampleFactory(repository=repo, commit_sha=SHA, p95_ms=5000)
    v = verdict(repo, "controlplane/perf")
    assert (v.state, v.description) == (
        "success",
        "no performance budget set for 1 scenario",
    )


def test_another_domains_budget_is_not_used(repo):
    other = RepositoryFactory(domain=DomainFactory())
    set_budgets(other, perf=[{"p95_ms_max": 1}])
    PerfSampleFactory(repository=repo, commit_sha=SHA, p95_ms=5000)
    assert verdict(repo, "controlplane/perf").state == "success"


# --- query plans --------------------------------------------------------------------------
def test_a_costly_plan_with_a_forbidden_seq_scan_fails(repo):
    set_budgets(
        repo,
        query_plans=[
            {
                "query_name": "orders_by_customer",
                "max_total_cost": 5000,
                "no_seq_scan_tables": ["orders"],
            }
        ],
    )
    QueryPlanFactory(
        repository=repo,
        commit_sha=SHA,
        total_cost=18400.25,
        seq_scan_relations=["customers", "orders"],
    )
    v = verdict(repo, "controlplane/query-plans")
    assert (v.state, v.description) == (
        "failure",
        "orders_by_customer cost 18,400 > budget 5,000; Seq Scan on orders",
    )


def test_a_default_query_budget_covers_queries_without_their_own(repo):
    set_budgets(repo, query_plans=[{"max_total_cost": 100}])
    QueryPlanFactory(repository=repo, commit_sha=SHA, query_name="q1", total_cost=50)
    QueryPlanFactory(repository=repo, commit_sha=SHA, query_name="q2", total_cost=150)
    v = verdict(repo, "controlplane/query-plans")
    assert (v.state, v.description) == ("failure", "q2 cost 150 > budget 100")


def test_plans_within_budget_succeed(repo):
    set_budgets(repo, query_plans=[{"max_total_cost": 100}])
    QueryPlanFactory(repository=repo, commit_sha=SHA, query_name="q1", total_cost=50)
    v = verdict(repo, "controlplane/query-plans")
    assert (v.state, v.description) == (
        "success",
        "1 of 1 query within budget; costliest q1 50",
    )


# --- storing ----------------------------------------------------------------------------
def evaluate(repo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stored = gates.gates_evaluate(repository_id=repo.pk, sha=SHA)
    return stored, callbacks


def test_evaluating_stores_one_verdict_per_context_and_queues_a_post_each(
    repo, django_capture_on_commit_callbacks
):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed"})
    PerfSampleFactory(repository=repo, commit_sha=SHA)
    stored, callbacks = evaluate(repo, django_capture_on_commit_callbacks)
    assert sorted(v.context for v in stored) == [
        "controlplane/perf",
        "controlplane/tests",
    ]
    assert len(callbacks) == 2


def test_re_evaluating_unchanged_data_changes_nothing(
    repo, django_capture_on_commit_callbacks
):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed"})
    evaluate(repo, django_capture_on_commit_callbacks)
    GateVerdict.objects.update(
        posted_state="success", posted_description="all 1 tests passed"
    )
    _, callbacks = evaluate(repo, django_capture_on_commit_callbacks)
    assert GateVerdict.objects.count() == 1
    assert GateVerdictChange.objects.count() == 1
    assert callbacks == []  # GitHub already has it


def test_a_changed_verdict_is_updated_in_place_and_its_history_kept(
    repo, django_capture_on_commit_callbacks
):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed"})
    evaluate(repo, django_capture_on_commit_callbacks)
    results_for(run, {"b": "failed"})
    _, callbacks = evaluate(repo, django_capture_on_commit_callbacks)
    [row] = GateVerdict.objects.all()
    assert (row.state, row.description) == ("failure", "1 of 2 tests failed")
    assert list(row.changes.values_list("state", flat=True)) == ["failure", "success"]
    assert len(callbacks) == 1


def test_flaky_tests_are_recorded_once_per_commit(
    repo, django_capture_on_commit_callbacks
):
    first = RunFactory(repository=repo, head_sha=SHA, attempt=1, external_id="9")
    second = RunFactory(repository=repo, head_sha=SHA, attempt=2, external_id="9")
    results_for(first, {"test_refund": "failed", "ok": "passed"})
    results_for(second, {"test_refund": "passed", "ok": "passed"})
    evaluate(repo, django_capture_on_commit_callbacks)
    evaluate(repo, django_capture_on_commit_callbacks)
    [flaky] = FlakyTest.objects.all()
    assert flaky.name == "test_refund" and flaky.flip_count == 1
    assert flaky.last_sha == SHA and flaky.domain == repo.domain

    other = sha_for("next commit")
    run = RunFactory(repository=repo, head_sha=other)
    results_for(run, {"test_refund": "error"})
    results_for(run, {"test_refund": "passed"})
    gates.gates_evaluate(repository_id=repo.pk, sha=other)
    flaky.refresh_from_db()
    assert flaky.flip_count == 2 and flaky.last_sha == other


def test_a_test_that_failed_on_every_attempt_is_not_flaky(
    repo, django_capture_on_commit_callbacks
):
    for attempt in (1, 2):
        run = RunFactory(
            repository=repo, head_sha=SHA, attempt=attempt, external_id="3"
        )
        results_for(run, {"always_red": "failed"})
    evaluate(repo, django_capture_on_commit_callbacks)
    assert not FlakyTest.objects.exists()


def test_enqueue_runs_after_commit_with_the_domain_for_dead_letters(
    repo, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    from pipelines.gates.tasks import gates_evaluate_task

    monkeypatch.setattr(
        gates_evaluate_task,
        "apply_async",
        lambda args, kwargs: sent.append((args, kwargs)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        gates.gates_evaluate_enqueue(repository_id=repo.pk, sha=SHA)
        assert sent == []  # not before the commit
    assert sent == [((repo.pk, SHA), {"domain_id": repo.domain_id})]


def test_new_commit_evidence_enqueues_the_gates(
    repo, monkeypatch, django_capture_on_commit_callbacks
):
    from pipelines.gates.tasks import gates_evaluate_task
    from pipelines.ingest.services.runs import commit_data_changed

    sent = []
    monkeypatch.setattr(
        gates_evaluate_task,
        "apply_async",
        lambda args, kwargs: sent.append((tuple(args), kwargs)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        commit_data_changed(repository_id=repo.pk, sha=SHA)
        assert sent == []  # not before the commit
    assert sent == [((repo.pk, SHA), {"domain_id": repo.domain_id})]


def test_without_a_github_token_verdicts_say_they_were_not_posted(
    repo, settings, django_capture_on_commit_callbacks
):
    settings.GITHUB_TOKEN = ""
    results_for(RunFactory(repository=repo, head_sha=SHA), {"a": "passed"})
    _, callbacks = evaluate(repo, django_capture_on_commit_callbacks)
    assert callbacks == []
    [row] = GateVerdict.objects.all()
    assert row.post_error == "not posted: GITHUB_TOKEN is not set"


# --- numbers no gate can judge ------------------------------------------------------------
def test_a_plan_whose_total_cost_is_nan_does_not_stop_the_commits_other_gates(
    repo, django_capture_on_commit_callbacks
):
    # The reported bug: a plan stored with "Total Cost": "NaN" (float() took it)
    # made gates_evaluate fail writing the verdict details to the JSON column
    # (DataError: Token "NaN" is invalid), and the commit got no verdict at all.
    set_budgets(repo, query_plans=[{"max_total_cost": 100}])
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"a": "passed"})
    nan_plan = [{"Plan": {"Node Type": "Seq Scan", "Total Cost": "NaN"}}]
    QueryPlanFactory(
        repository=repo,
        commit_sha=SHA,
        query_name="q",
        total_cost=float("nan"),
        plan=nan_plan,
    )
    evaluate(repo, django_capture_on_commit_callbacks)
    rows = {v.context: v for v in GateVerdict.objects.all()}
    assert rows["controlplane/tests"].state == "success"
    plans = rows["controlplane/query-plans"]
    assert (plans.state, plans.description) == (
        "failure",
        "q cost is not a finite number",
    )
    assert plans.details["plans"][0]["total_cost"] is None


def test_non_finite_numbers_in_verdict_details_are_stored_as_null(repo):
    verdict_with_nan = gates.Verdict(
        "controlplane/perf",
        "success",
        "ok",
        {"p95": float("inf"), "samples": [{"ms": float("nan"), "name": "a\x00b"}]},
    )
    [row] = gates.gate_verdicts_store(
        repository=repo, sha=SHA, verdicts=[verdict_with_nan]
    )
    row.refresh_from_db()
    assert row.details == {"p95": None, "samples": [{"ms": None, "name": "ab"}]}
