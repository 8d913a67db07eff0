"""Query-plan cost per query name over time against its budget, and the commits
whose query-plan gate failed."""

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Max, QuerySet, Sum

from dashboard.board.panels.common import (
    TimeRange,
    between,
    iso,
    per_point,
    window,
)
from pipelines.gates.models import GateContext, QueryPlanBudget
from pipelines.gates.panels.perf import _budget_for, broken_commits
from pipelines.ingest.models import PlanCostRollup
from pipelines.ingest.panels.ci_health import deployment_marks


def _rollups(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    return PlanCostRollup.objects.filter(
        domain_id=domain_id, **between("hour", since, until)
    )


def build(domain_id: int, time_range: TimeRange) -> dict:
    since = window(time_range)
    # (query) -> point -> (plans, highest cost)
    series: dict[str, dict[datetime, tuple]] = defaultdict(dict)
    for query_name, point, plans, cost in per_point(
        _rollups,
        time_range,
        ("query_name",),
        {"plans_total": Sum("plans"), "cost_highest": Max("cost_max")},
        domain_id=domain_id,
    ):
        series[query_name][point] = (plans, cost)
    budgets = list(
        QueryPlanBudget.objects.filter(domain_id=domain_id).values_list(
            "query_name", "max_total_cost"
        )
    )
    queries = [
        {
            "name": name,
            "budget": _budget_for(budgets, name, "cost"),
            # The plans of this query (the chart adds each point's bucket).
            "link": f"query-plans/?{urlencode({'query': name})}",
            "points": [
                {"t": iso(bucket), "plans": plans, "cost": round(cost, 2)}
                for bucket, (plans, cost) in sorted(buckets.items())
            ],
        }
        for name, buckets in sorted(series.items())
    ]
    return {
        "since": iso(since),
        "queries": queries,
        "broken": broken_commits(
            domain_id, GateContext.QUERY_PLANS, since, time_range.until
        ),
        "marks": deployment_marks(domain_id, time_range),
    }
