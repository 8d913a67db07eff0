"""Ingestion's column on the overview (registered in PipelinesConfig.ready()):
CI pass rate over the last 7 days and its trend against the 7 days before,
from the hourly rollups, one query for every domain."""

from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.urls import reverse

from dashboard.board.overview import ATTENTION, FINE, WATCH, Cell, OverviewColumn
from dashboard.domains.models import Domain
from pipelines.ingest.models import CIRollup

WEEK = timedelta(days=7)
LOW_PASS_RATE = 80.0  # below: needs attention
WATCH_PASS_RATE = 95.0  # below, or falling by more than DROP points: watch
DROP = 5.0


def _rate(passed: int | None, failed: int | None) -> float | None:
    judged = (passed or 0) + (failed or 0)
    return round(100 * (passed or 0) / judged, 1) if judged else None


def ci_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    recent = Q(hour__gte=now - WEEK)
    before = Q(hour__lt=now - WEEK)
    rows = (
        CIRollup.objects.filter(
            domain_id__in=[d.pk for d in domains], hour__gte=now - 2 * WEEK
        )
        .values("domain_id")
        .annotate(
            passed_recent=Sum("passed", filter=recent),
            failed_recent=Sum("failed", filter=recent),
            passed_before=Sum("passed", filter=before),
            failed_before=Sum("failed", filter=before),
        )
        .order_by()
    )
    slugs = {d.pk: d.slug for d in domains}
    cells = {}
    for row in rows:
        rate = _rate(row["passed_recent"], row["failed_recent"])
        if rate is None:
            continue
        previous = _rate(row["passed_before"], row["failed_before"])
        trend = None if previous is None else round(rate - previous, 1)
        if rate < LOW_PASS_RATE:
            level = ATTENTION
        elif rate < WATCH_PASS_RATE or (trend is not None and trend < -DROP):
            level = WATCH
        else:
            level = FINE
        if trend is None:
            note = "no runs the week before"
        elif trend == 0:
            note = "→ same as the week before"
        else:
            arrow = "▲" if trend > 0 else "▼"
            note = f"{arrow} {abs(trend)} points vs the week before"
        href = reverse("dash:dashboard", args=[slugs[row["domain_id"]]])
        cells[row["domain_id"]] = Cell(
            f"{rate} %", href=f"{href}?range=7d#panel-ci-health", level=level, note=note
        )
    return cells


CI_PASS_RATE = OverviewColumn(
    "ci-pass-rate",
    "CI pass rate (7 days)",
    ci_cells,
    weight=2,
    help="Completed runs that succeeded, of those that passed or failed, last 7 days.",
)
