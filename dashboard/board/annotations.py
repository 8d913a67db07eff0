"""Events drawn on the domain's time charts beside its deployments: incidents,
pin moves… A registry, like the panels: a capability registers its source from
its AppConfig.ready() (`annotation_source_register`), so the dashboard draws
them without importing the apps that own them.

A source reads one domain's events in a range with **one query** and returns
plain JSON-able marks; a panel that draws time charts (`Panel.annotated`) reads
every source once when it is built, and the marks are cached with the panel's
data under its TTL and range. `charts.frame()` draws them.

A mark: {"t": ISO time, "label": text, "link": a path under the domain's page,
optional "end": ISO time or "" (a span: until then, "" while it lasts),
optional "colour"}.
"""

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.board.panels.common import TimeRange

# The newest marks a source draws on one chart: enough to see what happened,
# few enough that the chart still reads.
MARKS_PER_SOURCE = 30


@dataclass(frozen=True)
class AnnotationSource:
    key: str
    name: str  # the legend's name for its markers: "Incidents"
    marks: Callable[[int, TimeRange], list[dict]]
    symbol: str = "diamond"
    colour: str = "#8C8C8C"


ANNOTATION_SOURCES: dict[str, AnnotationSource] = {}


def annotation_source_register(*sources: AnnotationSource) -> None:
    """Called from an AppConfig.ready(); registering a key again replaces it."""
    for source in sources:
        ANNOTATION_SOURCES[source.key] = source


def annotations_for(domain_id: int, time_range: TimeRange) -> list[dict]:
    """Every registered source's marks for one domain and range (a query per
    source), in registration order; a source with none is left out."""
    found = []
    for source in ANNOTATION_SOURCES.values():
        marks = source.marks(domain_id, time_range)[:MARKS_PER_SOURCE]
        if marks:
            found.append(
                {
                    "key": source.key,
                    "name": source.name,
                    "symbol": source.symbol,
                    "colour": source.colour,
                    "marks": marks,
                }
            )
    return found
