"""The gates' panels on the domain dashboard (registered in PipelinesConfig.ready())."""

from dashboard.board import charts
from dashboard.board.panels import Panel
from pipelines.gates.panels import flaky, gates, perf, query_plans

PERF = Panel(
    "perf",
    "Performance against budget",
    "panel.perf",
    perf.build,
    lambda d: [charts.perf_p95_chart(d), charts.perf_memory_chart(d)],
    time_basis="when the sample was measured",
    annotated=True,
)
QUERY_PLANS = Panel(
    "query-plans",
    "Query-plan cost against budget",
    "panel.query_plans",
    query_plans.build,
    lambda d: [charts.plan_cost_chart(d)],
    time_basis="when the plan was measured",
    annotated=True,
)
GATES = Panel("gates", "Gates", "panel.gates", gates.build, lambda d: [])
FLAKY = Panel("flaky", "Flaky tests", "panel.flaky", flaky.build, lambda d: [])
