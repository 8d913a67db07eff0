"""The domain dashboard's panels: each is a selector building plain data, cached
under its own TTL (dashboard.platform.caching.CACHE_TTLS), and the charts drawn
from it.

The dashboard owns the frame; a capability owns its panels and registers them in
its AppConfig.ready() (`panel_register`), so the dashboard never imports the apps
whose data it shows. Panels appear in the order they were registered.

A panel's data is plain JSON-able values (numbers, strings, lists), so it caches
in Redis as it is and the charts are built from it on every request at no cost.
"""

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.board import charts
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
    # Older rows of the panel's table past the first page, by cursor (never
    # cached): (domain_id, range, cursor) -> {"failing": rows, "failing_next":
    # cursor}. Raises BadCursor for a cursor it did not issue.
    more: Callable[[int, TimeRange, str], dict] | None = None

    @property
    def template(self) -> str:
        return f"dashboard/panels/{self.slug}.html"


PANELS: dict[str, Panel] = {}


def panel_register(*panels: Panel) -> None:
    """Called from an AppConfig.ready(); registering a slug again replaces it."""
    for panel in panels:
        PANELS[panel.slug] = panel


def panel_data(panel: Panel, domain: Domain, time_range: TimeRange) -> dict:
    """The panel's data for a domain and range: from the cache, or built and cached
    (from the database alone when Redis is down)."""
    return cached(
        panel.cache_name,
        domain.pk,
        time_range.key,
        build=lambda: panel.build(domain.pk, time_range),
    )
