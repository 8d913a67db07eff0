"""Ingestion's panels on the domain dashboard (registered in PipelinesConfig.ready())."""

from dashboard.board import charts
from dashboard.board.panels import Panel
from pipelines.ingest.panels import ci_health, ingestion

CI_HEALTH = Panel(
    "ci-health",
    "CI health",
    "panel.ci_health",
    ci_health.build,
    lambda d: [charts.ci_pass_rate_chart(d), charts.ci_duration_chart(d)],
    more=ci_health.failing_runs_more,
    time_basis="when the run started",
    annotated=True,
)
INGESTION = Panel(
    "ingestion",
    "Ingestion health",
    "panel.ingestion",
    ingestion.build,
    lambda d: [charts.ingestion_chart(d)],
    time_basis="when the delivery was received",
)
