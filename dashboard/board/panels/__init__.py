"""The domain dashboard's panels: each is a selector building plain data, cached
under its own TTL (dashboard.platform.caching.CACHE_TTLS), and the charts drawn from it.

A panel's data is plain JSON-able values (numbers, strings, lists), so it caches
in Redis as it is and the charts are built from it on every request at no cost.
"""

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.board import charts
from dashboard.board.panels import ci_health, flaky, gates, ingestion, perf, query_plans
from dashboard.board.panels.common import TimeRange
from dashboard.domains.models import Domain
from dashboard.platform.caching import cached


@dataclass(frozen=True)
class Panel:
    slug: str
    title: str
    cache_name: str
    build: Callable[[int, TimeRange], dict]
    charts: Callable[[dict], list[charts.Chart]]

    @property
    def template(self) -> str:
        return f"dashboard/panels/{self.slug}.html"


PANELS: dict[str, Panel] = {
    p.slug: p
    for p in [
        Panel(
            "ci-health",
            "CI health",
            "panel.ci_health",
            ci_health.build,
            lambda d: [charts.ci_pass_rate_chart(d), charts.ci_duration_chart(d)],
        ),
        Panel(
            "perf",
            "Performance against budget",
            "panel.perf",
            perf.build,
            lambda d: [charts.perf_p95_chart(d), charts.perf_memory_chart(d)],
        ),
        Panel(
            "query-plans",
            "Query-plan cost against budget",
            "panel.query_plans",
            query_plans.build,
            lambda d: [charts.plan_cost_chart(d)],
        ),
        Panel("gates", "Gates", "panel.gates", gates.build, lambda d: []),
        Panel("flaky", "Flaky tests", "panel.flaky", flaky.build, lambda d: []),
        Panel(
            "ingestion",
            "Ingestion health",
            "panel.ingestion",
            ingestion.build,
            lambda d: [charts.ingestion_chart(d)],
        ),
    ]
}


def panel_data(panel: Panel, domain: Domain, time_range: TimeRange) -> dict:
    """The panel's data for a domain and range: from the cache, or built and cached
    (from the database alone when Redis is down)."""
    return cached(
        panel.cache_name,
        domain.pk,
        time_range.key,
        build=lambda: panel.build(domain.pk, time_range),
    )
