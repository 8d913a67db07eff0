"""Performance against budget: p95 and peak memory per scenario over time, with
each scenario's budget as a line, and the commits whose perf gate failed."""

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Max, OuterRef, QuerySet, Subquery, Sum

from dashboard.board.panels.common import (
    TimeRange,
    between,
    iso,
    per_point,
    window,
)
from dashboard.platform.compiled import compiled_once
from pipelines.gates.models import GateContext, GateVerdict, PerfBudget
from pipelines.ingest.models import PerfRollup, PerfSample, QueryPlan
from pipelines.ingest.panels.ci_health import deployment_marks

BROKEN_LIMIT = 10


# What each gate judges, for the "commits that broke" tables: the evidence model,
# its measured value and what it names (a scenario, a query).
_EVIDENCE = {
    GateContext.PERF: (PerfSample, "p95_ms", "scenario", "p95 {:,.0f} ms"),
    GateContext.QUERY_PLANS: (QueryPlan, "total_cost", "query_name", "cost {:,.0f}"),
}


def broken_commits(
    domain_id: int, context: str, since: datetime, until: datetime | None = None
) -> list[dict]:
    """The latest commits whose gate `context` failed, dated by their evidence
    (when the sample or plan was measured, the time the charts use), not by when
    the gate was evaluated: a table beside a chart must tell the same story."""
    shown = _EVIDENCE[context][3]
    return [
        {
            "repository": repository,
            "sha": sha[:7],
            "full_sha": sha,
            "reason": reason,
            "at": iso(measured_at),
            "measured": f"{worst_name}: {shown.format(worst)}",
        }
        for repository, sha, reason, measured_at, worst, worst_name in _broken(
            domain_id=domain_id, since=since, until=until, shape={"context": context}
        )
    ]


@compiled_once
def _broken(
    domain_id: int, since: datetime, until: datetime | None, context: str
) -> QuerySet:
    model, value, name, _ = _EVIDENCE[context]
    evidence = model.objects.filter(
        repository_id=OuterRef("repository_id"), commit_sha=OuterRef("sha")
    ).order_by(f"-{value}", "-id")
    return (
        GateVerdict.objects.filter(
            domain_id=domain_id, context=context, state="failure"
        )
        .annotate(
            measured_at=Subquery(evidence.values("created_at")[:1]),
            worst=Subquery(evidence.values(value)[:1]),
            worst_name=Subquery(evidence.values(name)[:1]),
        )
        .filter(measured_at__gte=since)
        .filter(**({"measured_at__lt": until} if until else {}))
        .order_by("-measured_at", "-id")
        .values_list(
            "repository__full_name",
            "sha",
            "description",
            "measured_at",
            "worst",
            "worst_name",
        )[:BROKEN_LIMIT]
    )


def _budget_for(budgets: list, name: str, attribute: str) -> float | None:
    """The most specific budget naming this scenario/query, else the domain-wide one."""
    exact = [b for b in budgets if b[0] == name and b[1] is not None]
    wide = [b for b in budgets if b[0] == "" and b[1] is not None]
    chosen = exact or wide
    return chosen[0][1] if chosen else None


def _rollups(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    return PerfRollup.objects.filter(
        domain_id=domain_id, **between("hour", since, until)
    )


def build(domain_id: int, time_range: TimeRange) -> dict:
    since = window(time_range)
    # (scenario) -> point -> (samples, sum of p95s, worst p95, peak memory)
    series: dict[str, dict[datetime, tuple]] = defaultdict(dict)
    for scenario, point, *sums in per_point(
        _rollups,
        time_range,
        ("scenario",),
        {
            "samples_total": Sum("samples"),
            "p95_total": Sum("p95_sum_ms"),
            "p95_worst": Max("p95_max_ms"),
            "memory_peak": Max("memory_max_mb"),
        },
        domain_id=domain_id,
    ):
        series[scenario][point] = tuple(sums)
    budgets = list(
        PerfBudget.objects.filter(domain_id=domain_id).values_list(
            "scenario", "p95_ms_max", "memory_mb_max"
        )
    )
    p95_budgets = [(b[0], b[1]) for b in budgets]
    memory_budgets = [(b[0], b[2]) for b in budgets]
    scenarios = []
    for name, buckets in sorted(series.items()):
        scenarios.append(
            {
                "name": name,
                "p95_budget_ms": _budget_for(p95_budgets, name, "p95"),
                "memory_budget_mb": _budget_for(memory_budgets, name, "memory"),
                # Relative to the domain's page: the samples of this scenario
                # (the chart adds each point's bucket: from, to).
                "link": f"perf-samples/?{urlencode({'scenario': name})}",
                "points": [
                    {
                        "t": iso(bucket),
                        "samples": samples,
                        "p95_ms": round(p95_sum / samples, 1) if samples else None,
                        "p95_max_ms": round(p95_max, 1),
                        "memory_mb": memory,
                    }
                    for bucket, (samples, p95_sum, p95_max, memory) in sorted(
                        buckets.items()
                    )
                ],
            }
        )
    return {
        "since": iso(since),
        "scenarios": scenarios,
        "broken": broken_commits(domain_id, GateContext.PERF, since, time_range.until),
        "marks": deployment_marks(domain_id, time_range),
    }
