"""Query-plan cost per query name over time against its budget, and the commits
whose query-plan gate failed."""

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Max, Sum

from dashboard.board.panels.common import (
    TimeRange,
    in_range,
    iso,
    per_point,
    window,
)
from pipelines.gates.models import GateContext, QueryPlanBudget
from pipelines.gates.panels.perf import _budget_for, broken_commits
from pipelines.ingest.models import PlanCostRollup
from pipelines.ingest.panels.ci_health import deployment_marks


def build(domain_id: int, time_range: TimeRange) -> dict:
    since = window(time_range)
    # (query) -> point -> (plans, highest cost)
    series: dict[str, dict[datetime, tuple]] = defaultdict(dict)
    for query_name, point, plans, cost in per_point(
        PlanCostRollup.objects.filter(domain_id=domain_id, **in_range(time_range)),
        time_range,
        ("query_name",),
        {"plans_total": Sum("plans"), "cost_highest": Max("cost_max")},
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
