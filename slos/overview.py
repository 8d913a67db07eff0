"""The SLOs' columns on the overview (registered in SlosConfig.ready()): the
least error budget left among a domain's SLOs, and its firing alerts."""

from datetime import datetime
from functools import lru_cache

from django.urls import reverse

from dashboard.board.overview import ATTENTION, FINE, WATCH, Cell, OverviewColumn
from dashboard.domains.models import Domain
from slos.selectors import slo_overview_many

LOW_BUDGET_PCT = 25.0


def _summaries(domains: list[Domain], now: datetime) -> dict[int, dict]:
    # Both columns read the same summaries at the same `now`: read them once.
    return _summaries_of(tuple(d.pk for d in domains), now)


@lru_cache(maxsize=2)
def _summaries_of(domain_ids: tuple[int, ...], now: datetime) -> dict[int, dict]:
    return slo_overview_many(list(domain_ids), at=now)


def budget_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    slugs = {d.pk: d.slug for d in domains}
    cells = {}
    for domain_id, s in _summaries(domains, now).items():
        href = reverse("slos:slo-list", args=[slugs[domain_id]])
        left = s["worst_budget_pct"]
        if left is None:
            cells[domain_id] = Cell("no data yet", href=href, level=None)
            continue
        level = ATTENTION if left < 0 else WATCH if left < LOW_BUDGET_PCT else FINE
        cells[domain_id] = Cell(
            f"{left} % left",
            href=href,
            level=level,
            note=f"least: {s['worst_slo']}, of {s['slos']} SLO{'s' if s['slos'] != 1 else ''}",
        )
    return cells


def alert_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    slugs = {d.pk: d.slug for d in domains}
    cells = {}
    for domain_id, s in _summaries(domains, now).items():
        href = reverse("slos:slo-list", args=[slugs[domain_id]])
        n = s["firing"]
        if not n:
            cells[domain_id] = Cell("none firing", href=href, level=FINE)
            continue
        pages = s["pages"]
        cells[domain_id] = Cell(
            f"{n} firing",
            href=href,
            level=ATTENTION,
            note=f"{pages} paging" if pages else "tickets only",
        )
    return cells


SLO_BUDGET = OverviewColumn(
    "slo-budget",
    "SLO budget left",
    budget_cells,
    weight=3,
    help="The least error budget left among the domain's SLOs, each over its window.",
)
FIRING_ALERTS = OverviewColumn(
    "slo-alerts",
    "Firing alerts",
    alert_cells,
    weight=10,
    help="SLO burn-rate alerts open now.",
)
