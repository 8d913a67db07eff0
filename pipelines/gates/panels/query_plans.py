"""Query-plan cost per query name over time against its budget, and the commits
whose query-plan gate failed."""

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlencode

from dashboard.board.panels.common import (
    TimeRange,
    bucket_start,
    in_range,
    iso,
    window,
)
from pipelines.gates.models import GateContext, QueryPlanBudget
from pipelines.gates.panels.perf import _budget_for, broken_commits
from pipelines.ingest.models import PlanCostRollup
from pipelines.ingest.panels.ci_health import deployment_marks


def build(domain_id: int, time_range: TimeRange) -> dict:
    since = window(time_range)
    rows = PlanCostRollup.objects.filter(
        domain_id=domain_id, **in_range(time_range)
    ).values_list("query_name", "hour", "plans", "cost_max")
    series: dict[str, dict[datetime, list]] = defaultdict(dict)
    for query_name, hour, plans, cost_max in rows:
        acc = series[query_name].setdefault(
            bucket_start(hour, time_range.step), [0, 0.0]
        )
        acc[0] += plans
        acc[1] = max(acc[1], cost_max)
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
