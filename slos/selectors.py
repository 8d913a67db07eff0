"""Reads for SLOs: a domain's SLOs, and an SLO's status at an instant."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncHour

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
    budget = maths.error_budget(counts, slo.objective)
    if slo.budgeting == Budgeting.TIMESLICES and slo.slice_window_seconds:
        slices = maths.timeslices(
            series,
            at=at,
            window=window,
            slice_window=timedelta(seconds=slo.slice_window_seconds),
            slice_target=slo.slice_target or slo.objective,
        )
        sli = slices.sli
        # The budget is counted in slices: (1 − O) of the judged slices may be bad.
        budget = maths.error_budget(
            maths.Counts(float(slices.good_slices), float(slices.slices_with_data)),
            slo.objective,
        )
    return SloStatus(
        slo=slo,
        at=at,
        window=counts,
        sli=sli,
        budget=budget,
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


@dataclass(frozen=True)
class SloHistory:
    """Hour by hour over the SLO window up to `at`: the SLI of each hour and
    the error budget left so far in the window (a burn-down)."""

    hours: list[datetime]
    sli: list[float | None]
    budget_left: list[float | None]


def slo_history(slo: Slo, *, at: datetime) -> SloHistory:
    """One query: the window's points summed per hour."""
    since = at - timedelta(seconds=slo.window_seconds)
    rows = (
        SliPoint.objects.filter(slo=slo, ts__gt=since, ts__lte=at)
        .annotate(hour=TruncHour("ts"))
        .values("hour")
        .annotate(good=Sum("good"), total=Sum("total"))
        .order_by("hour")
    )
    hours, sli, left = [], [], []
    good_so_far = total_so_far = 0.0
    for row in rows:
        good, total = float(row["good"]), float(row["total"])
        good_so_far += good
        total_so_far += total
        hours.append(row["hour"])
        sli.append(good / total if total else None)
        left.append(
            maths.error_budget(
                maths.Counts(good_so_far, total_so_far), slo.objective
            ).remaining
        )
    return SloHistory(hours=hours, sli=sli, budget_left=left)


def _sums(
    slo_ids: list[int], since: datetime, until: datetime
) -> dict[int, maths.Counts]:
    rows = (
        SliPoint.objects.filter(slo_id__in=slo_ids, ts__gt=since, ts__lte=until)
        .values("slo_id")
        .annotate(good=Sum("good"), total=Sum("total"))
    )
    return {
        r["slo_id"]: maths.Counts(float(r["good"]), float(r["total"])) for r in rows
    }


def slo_overview(domain_id: int, *, at: datetime) -> dict:
    """Every SLO of a domain at `at`: SLI and budget left over its window, 1h
    burn, open alerts; firing first. Queries do not grow with the number of
    SLOs: one per distinct window length, one for the last hour, one for alerts."""
    now = at
    slos = list(Slo.objects.filter(domain_id=domain_id).order_by("name"))
    ids = [s.pk for s in slos]
    by_window: dict[int, list[int]] = defaultdict(list)
    for slo in slos:
        by_window[slo.window_seconds].append(slo.pk)
    window_counts: dict[int, maths.Counts] = {}
    for seconds, members in by_window.items():
        window_counts.update(_sums(members, now - timedelta(seconds=seconds), now))
    hour = _sums(ids, now - maths.BURN_WINDOWS["1h"], now) if ids else {}
    firing = defaultdict(list)
    for alert in SloAlert.objects.filter(
        slo_id__in=ids, resolved_at__isnull=True, fired_at__lte=now
    ):
        firing[alert.slo_id].append(f"{alert.severity} ({alert.long_window})")
    empty = maths.Counts(0.0, 0.0)
    rows = []
    for slo in slos:
        counts = window_counts.get(slo.pk, empty)
        budget = maths.error_budget(counts, slo.objective)
        rows.append(
            {
                "pk": slo.pk,
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
    return {"as_of": now.isoformat(), "slos": rows}


def slo_overview_many(domain_ids: list[int], *, at: datetime) -> dict[int, dict]:
    """Per domain: the SLO with the least error budget left (over its own
    window) and the open alerts, for the overview. Queries do not grow with
    domains or SLOs: one for the SLOs, one per distinct window length, one for
    the alerts."""
    slos = list(
        Slo.objects.filter(domain_id__in=domain_ids).only(
            "id", "domain_id", "name", "objective", "window_seconds"
        )
    )
    by_window: dict[int, list[int]] = defaultdict(list)
    for slo in slos:
        by_window[slo.window_seconds].append(slo.pk)
    counts: dict[int, maths.Counts] = {}
    for seconds, members in by_window.items():
        counts.update(_sums(members, at - timedelta(seconds=seconds), at))
    result: dict[int, dict] = {}
    for slo in slos:
        entry = result.setdefault(
            slo.domain_id,
            {
                "slos": 0,
                "worst_budget_pct": None,
                "worst_slo": "",
                "firing": 0,
                "pages": 0,
            },
        )
        entry["slos"] += 1
        budget = maths.error_budget(
            counts.get(slo.pk, maths.Counts(0.0, 0.0)), slo.objective
        )
        if budget.remaining is None:
            continue
        left = round(budget.remaining * 100, 1)
        if entry["worst_budget_pct"] is None or left < entry["worst_budget_pct"]:
            entry["worst_budget_pct"], entry["worst_slo"] = left, slo.name
    for domain_id, severity in SloAlert.objects.filter(
        slo__domain_id__in=domain_ids, resolved_at__isnull=True, fired_at__lte=at
    ).values_list("slo__domain_id", "severity"):
        entry = result.get(domain_id)
        if entry is not None:
            entry["firing"] += 1
            entry["pages"] += severity == "page"
    return result
