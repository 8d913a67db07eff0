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

from django.db import transaction
from django.utils import timezone

from dashboard.board import charts
from dashboard.board.annotations import annotations_for
from dashboard.board.panels.common import (
    RANGES,
    TimeRange,
    iso,
    window,
    window_end,
)
from dashboard.domains.models import Domain
from dashboard.platform.caching import cached, invalidate_many


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
    # What the time of a point and of a table row is, said under the charts
    # ("when the run started"): every chart and table of a panel uses it.
    time_basis: str = ""
    # Time charts that carry the domain's events (incidents, pin moves: the
    # registered annotation sources, dashboard.board.annotations), read once
    # per build and cached with the panel's data.
    annotated: bool = False

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
        build=lambda: panel_build(panel, domain.pk, time_range),
    )


def panel_build(panel: Panel, domain_id: int, time_range: TimeRange) -> dict:
    """Build the panel's data, stamped with when (shown as "as of hh:mm")."""
    now = timezone.now()
    data = {
        **panel.build(domain_id, time_range),
        "as_of": iso(now),
        # The charts' x axis: the whole range, whatever the data covers.
        "x_range": [iso(window(time_range, now)), iso(window_end(time_range, now))],
        "step_s": int(time_range.step.total_seconds()),
    }
    if panel.annotated:
        # Read once for all the annotated panels of a page (they load together),
        # forgotten with them when an event changes (annotations_changed).
        data["annotations"] = cached(
            "panel.annotations",
            domain_id,
            time_range.key,
            build=lambda: annotations_for(domain_id, time_range),
        )
    return data


def annotations_changed(domain_id: int) -> None:
    """An event drawn on the domain's time charts (an incident, a pin move) was
    added or changed: once the transaction commits, forget the panels that draw
    annotations, so the next view shows it at once instead of after their TTL."""
    transaction.on_commit(
        lambda: panels_invalidate(domain_id, annotated_only=True), using="default"
    )


def panels_invalidate(domain_id: int, *, annotated_only: bool = False) -> None:
    """Forget every cached panel (data and rendered HTML) of one domain."""
    keys: list[tuple] = [("panel.annotations", domain_id, key) for key in RANGES]
    for panel in PANELS.values():
        if annotated_only and not panel.annotated:
            continue
        for key in RANGES:
            keys.append((panel.cache_name, domain_id, key))
            for staff in (0, 1):
                for refresh in (0, 1):
                    keys.append(
                        (panel.cache_name, domain_id, key, "html", staff, refresh)
                    )
    invalidate_many(keys)
