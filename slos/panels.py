"""The SLO panel of the domain dashboard (registered in SlosConfig.ready()):
error budget left and burn per SLO, firing alerts first."""

from collections import defaultdict
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from dashboard.board.panels import Panel
from dashboard.board.panels.common import TimeRange, iso
from slos import maths
from slos.models import SliPoint, Slo, SloAlert


def _sums(slo_ids: list[int], since) -> dict[int, maths.Counts]:
    rows = (
        SliPoint.objects.filter(slo_id__in=slo_ids, ts__gt=since)
        .values("slo_id")
        .annotate(good=Sum("good"), total=Sum("total"))
    )
    return {
        r["slo_id"]: maths.Counts(float(r["good"]), float(r["total"])) for r in rows
    }


def build(domain_id: int, time_range: TimeRange) -> dict:
    """Queries do not grow with the number of SLOs: one per distinct window
    length, one for the last hour, one for open alerts."""
    now = timezone.now()
    slos = list(Slo.objects.filter(domain_id=domain_id).order_by("name"))
    ids = [s.pk for s in slos]
    by_window: dict[int, list[int]] = defaultdict(list)
    for slo in slos:
        by_window[slo.window_seconds].append(slo.pk)
    window_counts: dict[int, maths.Counts] = {}
    for seconds, members in by_window.items():
        window_counts.update(_sums(members, now - timedelta(seconds=seconds)))
    hour = _sums(ids, now - maths.BURN_WINDOWS["1h"]) if ids else {}
    firing = defaultdict(list)
    for alert in SloAlert.objects.filter(slo_id__in=ids, resolved_at__isnull=True):
        firing[alert.slo_id].append(f"{alert.severity} ({alert.long_window})")
    empty = maths.Counts(0.0, 0.0)
    rows = []
    for slo in slos:
        counts = window_counts.get(slo.pk, empty)
        budget = maths.error_budget(counts, slo.objective)
        rows.append(
            {
                "name": slo.name,
                "service": slo.service,
                "objective_pct": round(slo.objective * 100, 4),
                "window_days": round(slo.window_seconds / 86400, 2),
                "sli_pct": None if counts.sli is None else round(counts.sli * 100, 4),
                "budget_left_pct": None
                if budget.remaining is None
                else round(budget.remaining * 100, 1),
                "burn_1h": maths.burn_rate(hour.get(slo.pk, empty), slo.objective),
                "firing": firing.get(slo.pk, []),
            }
        )
    rows.sort(key=lambda r: (not r["firing"], r["name"]))
    return {"as_of": iso(now), "slos": rows}


SLOS = Panel("slos", "SLOs and error budgets", "panel.slos", build, lambda d: [])
