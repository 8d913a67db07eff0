"""Reads for SLOs: a domain's SLOs, and an SLO's status at an instant."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from dashboard.domains.models import Domain
from slos import maths
from slos.models import Budgeting, SliPoint, Slo, SloAlert

ALERT_REACH = max(maths.BURN_WINDOWS.values())


def slos_of(domain: Domain) -> QuerySet[Slo]:
    return Slo.objects.filter(domain=domain)


def slo_series(
    slo: Slo, *, at: datetime, reach: timedelta | None = None
) -> maths.Series:
    """The points the status at `at` can read: the SLO window, or the longest
    alert window when that is longer (a 7-day SLO still has a 3-day window)."""
    if reach is None:
        reach = max(timedelta(seconds=slo.window_seconds), ALERT_REACH)
    rows = (
        SliPoint.objects.filter(slo=slo, ts__gt=at - reach, ts__lte=at)
        .order_by("ts")
        .values_list("ts", "good", "total")
    )
    return maths.Series(maths.Point(ts, float(g), float(t)) for ts, g, t in rows)


def alert_series(slo: Slo, *, at: datetime) -> maths.Series:
    """Only what the alert conditions read: the longest alert window (3 days),
    whatever the SLO's window — the minute-by-minute evaluation stays cheap."""
    return slo_series(slo, at=at, reach=ALERT_REACH)


def alerts_of(slo: Slo) -> QuerySet[SloAlert]:
    return SloAlert.objects.filter(slo=slo)


@dataclass(frozen=True)
class SloStatus:
    slo: Slo
    at: datetime
    window: maths.Counts
    sli: float | None
    budget: maths.ErrorBudget
    burn_rates: dict[str, float | None]
    alerts: list[maths.AlertCondition]
    timeslices: maths.TimesliceCounts | None


def slo_status(slo: Slo, *, at: datetime) -> SloStatus:
    """SLI, error budget, burn rates and the four alert conditions at `at`
    (docs/slos.md): the same `at` always gives the same answer."""
    series = slo_series(slo, at=at)
    window = timedelta(seconds=slo.window_seconds)
    counts = series.counts(at=at, window=window)
    slices = None
    sli = counts.sli
    if slo.budgeting == Budgeting.TIMESLICES and slo.slice_window_seconds:
        slices = maths.timeslices(
            series,
            at=at,
            window=window,
            slice_window=timedelta(seconds=slo.slice_window_seconds),
            slice_target=slo.slice_target or slo.objective,
        )
        sli = slices.sli
    return SloStatus(
        slo=slo,
        at=at,
        window=counts,
        sli=sli,
        budget=maths.error_budget(counts, slo.objective),
        burn_rates={
            name: maths.burn_rate(series.counts(at=at, window=w), slo.objective)
            for name, w in maths.BURN_WINDOWS.items()
        },
        alerts=maths.alert_conditions(
            series,
            objective=slo.objective,
            slo_window=window,
            at=at,
            min_events=slo.min_events,
        ),
        timeslices=slices,
    )
