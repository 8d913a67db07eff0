"""Gate evaluation: a commit's tests, performance and query plans judged against
the domain's budgets, stored as verdicts and posted to GitHub as commit statuses."""

import logging
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from config.tasks import PermanentError, TransientError, enqueue_on_commit
from dashboard.domains.models import Repository
from dashboard.platform.cleaning import json_clean
from dashboard.platform.models import OutboxState
from pipelines.gates.models import (
    GateContext,
    GateState,
    GateVerdict,
    GateVerdictChange,
    PerfBudget,
    QueryPlanBudget,
)
from pipelines.gates.selectors import commit_test_outcomes
from pipelines.gates.services.flaky import flaky_tests_record
from pipelines.github import client as github
from pipelines.ingest.models import (
    PerfSample,
    QueryPlan,
    TestReport,
)

logger = logging.getLogger(__name__)

# How many recent base-branch samples make the baseline median.
BASELINE_SAMPLES = 10
NOT_CONFIGURED = "not posted: GITHUB_TOKEN is not set"
# The tasks (pipelines/gates/tasks.py) that services enqueue by name.
EVALUATE_TASK = "pipelines.gates_evaluate"
POST_STATUS_TASK = "github.post_commit_status"


# --- Maths and wording (pure) ------------------------------------------------------
def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def regression_pct(current: float, baseline: float | None) -> float | None:
    """How much `current` is above `baseline`, in % (negative: an improvement).

    None when there is nothing to compare with (no baseline, or a baseline of
    zero, where any percentage would be meaningless)."""
    if baseline is None or baseline <= 0:
        return None
    return (current - baseline) / baseline * 100.0


def fmt_number(value: float) -> str:
    """1204 → "1,204"; 18400.5 → "18,400"; 3.25 → "3.2": what a person reads."""
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def fmt_pct(value: float) -> str:
    rounded = round(value)
    return f"{'+' if rounded > 0 else ''}{rounded}%"


@dataclass
class Verdict:
    context: str
    state: str
    description: str
    details: dict[str, Any] = field(default_factory=dict)


def _summarise(problems: list[str], *, limit: int = 140) -> str:
    """The first problem, and how many more: one line for GitHub's status."""
    line = problems[0]
    if len(problems) > 1:
        line += f" (+{len(problems) - 1} more)"
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- The tests gate ------------------------------------------------------------------
def tests_verdict(repository_id: int, sha: str) -> Verdict | None:
    reports = TestReport.objects.using("default").filter(
        run__repository_id=repository_id, run__head_sha=sha
    )
    states = dict(
        reports.values_list("state").annotate(n=Count("id")).order_by("state")
    )
    if not states:
        return None
    if states.get(OutboxState.FAILED):
        n = states[OutboxState.FAILED]
        return Verdict(
            GateContext.TESTS,
            GateState.ERROR,
            f"{n} JUnit report{'s' if n > 1 else ''} could not be read; see the run page",
            {"unreadable_reports": n},
        )
    waiting = states.get(OutboxState.PENDING, 0) + states.get(OutboxState.PROCESSING, 0)
    if waiting:
        return Verdict(
            GateContext.TESTS,
            GateState.PENDING,
            f"waiting for {waiting} JUnit report{'s' if waiting > 1 else ''} to be read",
            {"waiting_reports": waiting},
        )
    rows = commit_test_outcomes(repository_id, sha)
    total = len(rows)
    failed = [r for r in rows if r["failed"]]
    flaky = [r for r in failed if r["passed"]]
    broken = [r for r in failed if not r["passed"]]
    details = {
        "tests": total,
        "failed": len(failed),
        "flaky": len(flaky),
        "failing": [f"{r['classname']}::{r['name']}" for r in broken[:20]],
        "flaky_tests": [f"{r['classname']}::{r['name']}" for r in flaky[:20]],
    }
    if total == 0:
        return Verdict(
            GateContext.TESTS, GateState.SUCCESS, "no tests reported", details
        )
    if broken:
        text = f"{fmt_number(len(failed))} of {fmt_number(total)} tests failed"
        if flaky:
            text += f" ({fmt_number(len(flaky))} flaky)"
        return Verdict(GateContext.TESTS, GateState.FAILURE, text, details)
    text = f"all {fmt_number(total)} tests passed"
    if flaky:
        text += f" ({fmt_number(len(flaky))} flaky: failed, then passed)"
    return Verdict(GateContext.TESTS, GateState.SUCCESS, text, details)


# --- The performance gate --------------------------------------------------------------
def _most_specific(budgets: Iterable, **wanted: str):
    """The budget whose non-blank fields all match, preferring the most specific."""
    best, best_score = None, -1
    for budget in budgets:
        score = 0
        for name, value in wanted.items():
            mine = getattr(budget, name)
            if mine and mine != value:
                break
            score += 1 if mine else 0
        else:
            if score > best_score:
                best, best_score = budget, score
    return best


def baseline_p95(sample: PerfSample, base_branch: str) -> float | None:
    """The median p95 of the base branch's recent samples of the same scenario."""
    values = list(
        PerfSample.objects.using("default")
        .filter(
            repository_id=sample.repository_id,
            service=sample.service,
            scenario=sample.scenario,
            branch=base_branch,
        )
        .exclude(commit_sha=sample.commit_sha)
        .order_by("-created_at", "-id")
        .values_list("p95_ms", flat=True)[:BASELINE_SAMPLES]
    )
    return median(values)


def perf_verdict(repository: Repository, sha: str) -> Verdict | None:
    samples = list(
        PerfSample.objects.using("default")
        .filter(repository=repository, commit_sha=sha)
        .order_by("service", "scenario", "pin_id", "pin_version")
    )
    if not samples:
        return None
    budgets = list(
        PerfBudget.objects.using("default").filter(domain_id=repository.domain_id)
    )
    problems: list[str] = []
    checked: list[dict[str, Any]] = []
    for sample in samples:
        budget = _most_specific(
            budgets, service=sample.service, scenario=sample.scenario
        )
        base = sample.base_branch or repository.default_branch
        baseline = baseline_p95(sample, base)
        change = regression_pct(sample.p95_ms, baseline)
        vs_base = f"; {fmt_pct(change)} vs {base}" if change is not None else ""
        label = sample.scenario if len(samples) > 1 else ""
        if label and sample.pin_id:
            # A rollout's versions measured side by side: say which one broke.
            label += f" ({sample.pin_id}@{sample.pin_version[:12] or '?'})"
        prefix = f"{label}: " if label else ""
        entry = {
            "service": sample.service,
            "scenario": sample.scenario,
            "pin_id": sample.pin_id,
            "pin_version": sample.pin_version,
            "p95_ms": sample.p95_ms,
            "peak_memory_mb": sample.peak_memory_mb,
            "baseline_p95_ms": baseline,
            "regression_pct": change,
            "base_branch": base,
            "budget": None,
            "violations": [],
        }
        if budget is not None:
            entry["budget"] = {
                "p95_ms_max": budget.p95_ms_max,
                "memory_mb_max": budget.memory_mb_max,
                "max_regression_pct": budget.max_regression_pct,
            }
            violations = []
            if budget.p95_ms_max is not None and sample.p95_ms > budget.p95_ms_max:
                violations.append(
                    f"p95 {fmt_number(sample.p95_ms)} ms > budget "
                    f"{fmt_number(budget.p95_ms_max)} ms{vs_base}"
                )
            if (
                budget.memory_mb_max is not None
                and sample.peak_memory_mb is not None
                and sample.peak_memory_mb > budget.memory_mb_max
            ):
                violations.append(
                    f"memory {fmt_number(sample.peak_memory_mb)} MB > budget "
                    f"{fmt_number(budget.memory_mb_max)} MB"
                )
            if (
                budget.max_regression_pct is not None
                and change is not None
                and change > budget.max_regression_pct
            ):
                violations.append(
                    f"p95 {fmt_number(sample.p95_ms)} ms is {fmt_pct(change)} vs "
                    f"{base} median {fmt_number(baseline)} ms > allowed "
                    f"{fmt_pct(budget.max_regression_pct)}"
                )
            entry["violations"] = violations
            problems.extend(prefix + v for v in violations)
        checked.append(entry)
    details = {"samples": checked}
    if problems:
        return Verdict(
            GateContext.PERF, GateState.FAILURE, _summarise(problems), details
        )
    budgeted = [e for e in checked if e["budget"]]
    if not budgeted:
        n = len(samples)
        return Verdict(
            GateContext.PERF,
            GateState.SUCCESS,
            f"no performance budget set for {n} scenario{'s' if n > 1 else ''}",
            details,
        )
    worst = max(budgeted, key=lambda e: e["p95_ms"])
    text = f"p95 {fmt_number(worst['p95_ms'])} ms"
    if worst["budget"]["p95_ms_max"] is not None:
        text += f" ≤ budget {fmt_number(worst['budget']['p95_ms_max'])} ms"
    if worst["regression_pct"] is not None:
        text += f"; {fmt_pct(worst['regression_pct'])} vs {worst['base_branch']}"
    if len(budgeted) > 1:
        text += f" ({len(budgeted)} scenarios within budget)"
    return Verdict(GateContext.PERF, GateState.SUCCESS, text, details)


# --- The query-plans gate ------------------------------------------------------------
def query_plans_verdict(repository: Repository, sha: str) -> Verdict | None:
    plans = list(
        QueryPlan.objects.using("default")
        .filter(repository=repository, commit_sha=sha)
        .only("service", "query_name", "total_cost", "seq_scan_relations")
        .order_by("service", "query_name")
    )
    if not plans:
        return None
    budgets = list(
        QueryPlanBudget.objects.using("default").filter(domain_id=repository.domain_id)
    )
    problems: list[str] = []
    checked = []
    for plan in plans:
        budget = _most_specific(
            budgets, service=plan.service, query_name=plan.query_name
        )
        entry = {
            "service": plan.service,
            "query_name": plan.query_name,
            "total_cost": plan.total_cost,
            "seq_scan_relations": plan.seq_scan_relations,
            "budget": None,
            "violations": [],
        }
        if budget is not None:
            entry["budget"] = {
                "max_total_cost": budget.max_total_cost,
                "no_seq_scan_tables": budget.no_seq_scan_tables,
            }
            violations = []
            if not math.isfinite(plan.total_cost):
                violations.append("cost is not a finite number")
            elif (
                budget.max_total_cost is not None
                and plan.total_cost > budget.max_total_cost
            ):
                violations.append(
                    f"cost {fmt_number(plan.total_cost)} > budget "
                    f"{fmt_number(budget.max_total_cost)}"
                )
            forbidden = {t.lower() for t in budget.no_seq_scan_tables}
            for relation in plan.seq_scan_relations:
                if relation.lower() in forbidden:
                    violations.append(f"Seq Scan on {relation}")
            entry["violations"] = violations
            if violations:
                problems.append(f"{plan.query_name} {'; '.join(violations)}")
        checked.append(entry)
    details = {"plans": checked}
    if problems:
        return Verdict(
            GateContext.QUERY_PLANS, GateState.FAILURE, _summarise(problems), details
        )
    budgeted = [e for e in checked if e["budget"]]
    n = len(plans)
    if not budgeted:
        text = f"no query-plan budget set for {n} quer{'ies' if n > 1 else 'y'}"
    else:
        costliest = max(budgeted, key=lambda e: e["total_cost"])
        text = (
            f"{len(budgeted)} of {n} quer{'ies' if n > 1 else 'y'} within budget; "
            f"costliest {costliest['query_name']} {fmt_number(costliest['total_cost'])}"
        )
    return Verdict(GateContext.QUERY_PLANS, GateState.SUCCESS, text, details)


# --- Evaluate, store, post ------------------------------------------------------------
def commit_verdicts(repository: Repository, sha: str) -> list[Verdict]:
    found = [
        tests_verdict(repository.pk, sha),
        perf_verdict(repository, sha),
        query_plans_verdict(repository, sha),
    ]
    return [v for v in found if v is not None]


@transaction.atomic
def gate_verdicts_store(
    *, repository: Repository, sha: str, verdicts: list[Verdict]
) -> list[GateVerdict]:
    """Upsert the verdicts; a change of state or reason is kept in the history."""
    now = timezone.now()
    existing = {
        v.context: v
        for v in GateVerdict.objects.select_for_update().filter(
            repository=repository, sha=sha
        )
    }
    stored = []
    for verdict in verdicts:
        # A JSON column refuses NaN and Infinity: they are stored as null.
        details = json_clean(verdict.details)
        row = existing.get(verdict.context)
        if row is None:
            row = GateVerdict.objects.create(
                domain_id=repository.domain_id,
                repository=repository,
                sha=sha,
                context=verdict.context,
                state=verdict.state,
                description=verdict.description,
                details=details,
                evaluated_at=now,
                changed_at=now,
            )
            GateVerdictChange.objects.create(
                verdict=row, state=row.state, description=row.description
            )
        elif (row.state, row.description) != (verdict.state, verdict.description):
            row.state, row.description = verdict.state, verdict.description
            row.details, row.evaluated_at, row.changed_at = details, now, now
            row.save(
                update_fields=[
                    "state",
                    "description",
                    "details",
                    "evaluated_at",
                    "changed_at",
                ]
            )
            GateVerdictChange.objects.create(
                verdict=row, state=row.state, description=row.description
            )
        else:
            row.details, row.evaluated_at = details, now
            row.save(update_fields=["details", "evaluated_at"])
        stored.append(row)
    return stored


def gates_evaluate(*, repository_id: int, sha: str) -> list[GateVerdict]:
    """Judge the commit, store the verdicts, record flaky tests, and post every
    verdict GitHub has not seen yet (one task each, after commit)."""
    repository = Repository.objects.using("default").filter(pk=repository_id).first()
    if repository is None:
        raise PermanentError(f"Repository {repository_id} does not exist.")
    with transaction.atomic():
        # One evaluation per repository at a time: two workers judging the same
        # commit would otherwise both create its first verdicts.
        Repository.objects.select_for_update().filter(pk=repository_id).first()
        flaky_tests_record(repository=repository, sha=sha)
        stored = gate_verdicts_store(
            repository=repository, sha=sha, verdicts=commit_verdicts(repository, sha)
        )
        unposted = [v for v in stored if not v.is_posted]
        if unposted and not settings.GITHUB_TOKEN:
            # A first run without GitHub configured: say so on the verdicts
            # rather than fill the dead-letter table with posts that cannot work.
            GateVerdict.objects.filter(pk__in=[v.pk for v in unposted]).update(
                post_error=NOT_CONFIGURED
            )
            unposted = []
        for verdict in unposted:
            enqueue_on_commit(
                POST_STATUS_TASK, verdict.pk, domain_id=repository.domain_id
            )
    logger.info(
        "gates evaluated",
        extra={
            "repository": repository.full_name,
            "sha": sha,
            "verdicts": {v.context: v.state for v in stored},
        },
    )
    return stored


def gates_evaluate_enqueue(*, repository_id: int, sha: str) -> None:
    """Evaluate a commit's gates in a worker, after the current transaction
    commits. Ingestion calls this whenever a commit's CI data changed."""
    if not sha:
        return
    domain_id = (
        Repository.objects.using("default")
        .filter(pk=repository_id)
        .values_list("domain_id", flat=True)
        .first()
    )
    enqueue_on_commit(EVALUATE_TASK, repository_id, sha, domain_id=domain_id)


def commit_evidence_received(
    sender: object, *, repository_id: int, sha: str, **_: object
) -> None:
    """Receiver of pipelines.ingest.signals.commit_evidence_changed (connected in
    pipelines/apps.py): judge the commit again."""
    gates_evaluate_enqueue(repository_id=repository_id, sha=sha)


def commit_page_url(verdict: GateVerdict) -> str:
    path = reverse(
        "gates:commit",
        kwargs={"slug": verdict.domain.slug, "sha": verdict.sha},
    )
    return (
        f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"
        f"?repository={verdict.repository.full_name}"
    )


def gate_status_post(*, verdict_id: int) -> bool:
    """Post the verdict's current state to GitHub; False when GitHub already has it.

    Not atomic on purpose: the error of a failed attempt must stay recorded."""
    verdict = (
        GateVerdict.objects.using("default")
        .select_related("repository", "domain")
        .filter(pk=verdict_id)
        .first()
    )
    if verdict is None:
        return False  # deleted since: nothing to tell GitHub
    if verdict.is_posted:
        return False
    state, description = verdict.state, verdict.description
    try:
        github.commit_status_create(
            verdict.repository.full_name,
            verdict.sha,
            state=state,
            context=verdict.context,
            description=description,
            target_url=commit_page_url(verdict),
        )
    except (TransientError, PermanentError) as exc:
        GateVerdict.objects.filter(pk=verdict.pk).update(post_error=str(exc)[:2000])
        raise
    GateVerdict.objects.filter(pk=verdict.pk).update(
        posted_state=state,
        posted_description=description,
        posted_at=timezone.now(),
        post_error="",
    )
    # The verdict may have changed while we talked to GitHub, and another post
    # may have landed first: if what GitHub shows last is not the verdict now,
    # post again, so the newest verdict is always the last one posted.
    now_state = (
        GateVerdict.objects.using("default")
        .filter(pk=verdict.pk)
        .values_list("state", "description")
        .first()
    )
    if now_state is not None and now_state != (state, description):
        enqueue_on_commit(POST_STATUS_TASK, verdict.pk, domain_id=verdict.domain_id)
    return True
