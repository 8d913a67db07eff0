"""The overview at `/`: one row per domain, one cell per registered column,
domains needing attention first.

Like the panels, the dashboard owns the frame and capabilities own the columns:
each registers an `OverviewColumn` from its AppConfig.ready()
(`overview_column_register`), so the dashboard never imports them. A column's
`cells` reads every domain at once — one or a few queries whatever the number of
domains, from the rollups where there are some — and gives back a `Cell` per
domain id it has something to say about.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString

from dashboard.domains.models import Domain
from dashboard.platform.caching import cached
from dashboard.templatetags.glance import when

# How much a cell weighs when ranking the domains.
FINE, WATCH, ATTENTION = 0, 1, 2


@dataclass(frozen=True)
class Cell:
    text: str
    href: str = ""
    level: int | None = FINE  # None: nothing to judge (no data)
    note: str = ""  # a second line: a trend, what the number counts
    # When the figures were computed, for a column that reads stored summaries
    # (shown as "as of" in the viewer's timezone); None: computed just now.
    as_of: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "href": self.href,
            "level": self.level,
            "note": self.note,
            "as_of": self.as_of.isoformat() if self.as_of else "",
        }


@dataclass(frozen=True)
class OverviewColumn:
    key: str
    title: str
    # (domains, now) -> {domain id: Cell}; must not query per domain.
    cells: Callable[[list[Domain], datetime], dict[int, Cell]]
    # How strongly a cell that needs attention ranks its domain up (a firing
    # alert outranks a slipping pass rate).
    weight: int = 1
    help: str = ""


COLUMNS: dict[str, OverviewColumn] = {}


def overview_column_register(*columns: OverviewColumn) -> None:
    """Called from an AppConfig.ready(); registering a key again replaces it.
    Columns show in the order they were registered."""
    for column in columns:
        COLUMNS[column.key] = column


@dataclass
class OverviewRow:
    domain: Domain
    role: str | None
    cells: list[dict] = field(default_factory=list)
    score: int = 0

    def cells_html(self) -> SafeString:
        """The row's cells, escaped here: 200 domains × their cells through the
        template language cost a second; this costs milliseconds."""
        out = []
        for cell in self.cells:
            level = "none" if cell["level"] is None else cell["level"]
            text = escape(cell["text"])
            if cell["href"]:
                text = f'<a href="{escape(cell["href"])}">{text}</a>'
            lines = [escape(cell["note"])] if cell["note"] else []
            if cell.get("as_of"):
                lines.append(f"as of {when(cell['as_of'])}")  # escaped by when()
            note = (
                f'<div class="muted small">{" · ".join(lines)}</div>' if lines else ""
            )
            out.append(f'<td class="level-{level}">{text}{note}</td>')
        return SafeString("".join(out))  # nosec B703 # every value escaped above


def _column_cells(column: OverviewColumn, domains: list[Domain], now: datetime) -> dict:
    """One column for these domains, cached for a minute per set of domains
    (everyone with the same domains shares it)."""
    ids = ",".join(str(d.pk) for d in domains)
    digest = hashlib.sha256(ids.encode()).hexdigest()[:16]
    return cached(
        "overview.column",
        column.key,
        digest,
        build=lambda: {
            str(pk): cell.as_dict() for pk, cell in column.cells(domains, now).items()
        },
    )


def overview_rows(
    domains: list[Domain], roles: dict[int, str], *, now: datetime | None = None
) -> list[OverviewRow]:
    """A row per domain with a cell per column, the domains that need attention
    most first (then by name)."""
    now = now or timezone.now()
    domains = sorted(domains, key=lambda d: d.pk)
    by_column = [(c, _column_cells(c, domains, now)) for c in COLUMNS.values()]
    rows = []
    for domain in domains:
        row = OverviewRow(domain=domain, role=roles.get(domain.pk))
        for column, cells in by_column:
            cell = cells.get(str(domain.pk)) or Cell("—", level=None).as_dict()
            row.cells.append(cell)
            if cell["level"]:
                row.score += cell["level"] * column.weight
        rows.append(row)
    rows.sort(key=lambda r: (-r.score, r.domain.name.casefold(), r.domain.slug))
    return rows
