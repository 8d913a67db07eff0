"""The SLO maths, exactly as docs/slos.md states it: SLI over a window, error
budget, burn rate, and the multiwindow multi-burn-rate alert conditions that
Sloth generates (Google SRE workbook, "Alerting on SLOs", table 5-8).

Plain data in, plain numbers out: no database, no clock. A `Series` keeps the
points of one SLO sorted with running sums, so the sum over any window is two
binary searches — evaluating every window of an SLO costs O(log n) each.
"""

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# The windows the status reports burn rates for.
BURN_WINDOWS: dict[str, timedelta] = {
    "5m": 5 * MINUTE,
    "30m": 30 * MINUTE,
    "1h": HOUR,
    "2h": 2 * HOUR,
    "6h": 6 * HOUR,
    "1d": DAY,
    "3d": 3 * DAY,
}


@dataclass(frozen=True)
class AlertRule:
    """Fire when the burn rate over both windows exceeds the factor that spends
    `budget_share` of a `slo_window` budget within `long_window`."""

    severity: str  # "page" | "ticket"
    long_window: str
    short_window: str
    budget_share: float

    def factor(self, slo_window: timedelta) -> float:
        return self.budget_share * (slo_window / BURN_WINDOWS[self.long_window])


# Sloth's defaults: for a 30-day window the factors are 14.4, 6, 3 and 1.
ALERT_RULES: tuple[AlertRule, ...] = (
    AlertRule("page", "1h", "5m", 0.02),
    AlertRule("page", "6h", "30m", 0.05),
    AlertRule("ticket", "1d", "2h", 0.10),
    AlertRule("ticket", "3d", "6h", 0.10),
)
DEFAULT_MIN_EVENTS = 100


def hour_end(ts: datetime) -> datetime:
    """The end of the UTC hour (hour_end − 1 h, hour_end] that holds `ts`."""
    floor = hour_floor(ts)
    return floor if floor == ts else floor + HOUR


def hour_floor(ts: datetime) -> datetime:
    """The UTC hour boundary at or before `ts`."""
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def runs(
    moments: list[datetime], *, step: timedelta
) -> list[tuple[datetime, datetime]]:
    """Sorted moments cut into runs of consecutive steps: [(first, last), …]."""
    found: list[tuple[datetime, datetime]] = []
    for moment in moments:
        if found and moment - found[-1][1] == step:
            found[-1] = (found[-1][0], moment)
        else:
            found.append((moment, moment))
    return found


@dataclass(frozen=True)
class Point:
    """Counts of one interval ending at `ts` (the SLI point's timestamp)."""

    ts: datetime
    good: float
    total: float


@dataclass(frozen=True)
class Counts:
    good: float
    total: float

    @property
    def bad(self) -> float:
        return self.total - self.good

    @property
    def sli(self) -> float | None:
        """good / total; None (no data) when nothing was counted."""
        return self.good / self.total if self.total > 0 else None


class Series:
    """The points of one SLO, sorted by time, with running sums of good and
    total. A later point with the same `ts` replaces an earlier one."""

    def __init__(self, points: Iterable[Point]):
        latest: dict[datetime, Point] = {}
        for point in points:
            if not (math.isfinite(point.good) and math.isfinite(point.total)):
                raise ValueError(f"non-finite counts at {point.ts.isoformat()}")
            if point.total < 0 or not 0 <= point.good <= point.total:
                raise ValueError(
                    f"need 0 ≤ good ≤ total at {point.ts.isoformat()}, "
                    f"got good={point.good}, total={point.total}"
                )
            latest[point.ts] = point
        ordered = sorted(latest.values(), key=lambda p: p.ts)
        self.times = [p.ts for p in ordered]
        self._good = [0.0]
        self._total = [0.0]
        for p in ordered:
            self._good.append(self._good[-1] + p.good)
            self._total.append(self._total[-1] + p.total)

    def counts(self, *, at: datetime, window: timedelta) -> Counts:
        """Σgood and Σtotal of the points with at − window < ts ≤ at."""
        lo = bisect.bisect_right(self.times, at - window)
        hi = bisect.bisect_right(self.times, at)
        return Counts(
            good=self._good[hi] - self._good[lo],
            total=self._total[hi] - self._total[lo],
        )


@dataclass(frozen=True)
class ErrorBudget:
    allowed_bad: float  # (1 − objective) × Σtotal over the SLO window
    consumed_bad: float  # Σbad over the SLO window
    remaining: float | None  # 1 − consumed / allowed; negative once overspent


def error_budget(counts: Counts, objective: float) -> ErrorBudget:
    allowed = (1 - objective) * counts.total
    remaining = 1 - counts.bad / allowed if allowed > 0 else None
    return ErrorBudget(
        allowed_bad=allowed, consumed_bad=counts.bad, remaining=remaining
    )


def burn_rate(counts: Counts, objective: float) -> float | None:
    """(1 − SLI) / (1 − objective): 1 spends the budget exactly over the SLO
    window. None (no data) when nothing was counted."""
    sli = counts.sli
    return None if sli is None else (1 - sli) / (1 - objective)


@dataclass(frozen=True)
class AlertCondition:
    severity: str
    long_window: str
    short_window: str
    factor: float
    long_burn: float | None
    short_burn: float | None
    long_events: float
    # The low-traffic guard holds the alert while the long window has fewer
    # than min_events events (sloth issue 666).
    guarded: bool
    firing: bool


def alert_conditions(
    series: Series,
    *,
    objective: float,
    slo_window: timedelta,
    at: datetime,
    min_events: float = DEFAULT_MIN_EVENTS,
) -> list[AlertCondition]:
    """The four conditions at `at`, from a series of points."""
    counts = {name: series.counts(at=at, window=w) for name, w in BURN_WINDOWS.items()}
    return alert_conditions_of(
        counts, objective=objective, slo_window=slo_window, min_events=min_events
    )


def alert_conditions_of(
    counts: Mapping[str, Counts],
    *,
    objective: float,
    slo_window: timedelta,
    min_events: float = DEFAULT_MIN_EVENTS,
) -> list[AlertCondition]:
    """The four multiwindow multi-burn-rate conditions, from the counts of each
    window in BURN_WINDOWS: each fires when both burn rates are strictly above
    its factor and the long window has enough events."""
    conditions = []
    for rule in ALERT_RULES:
        long = counts[rule.long_window]
        short = counts[rule.short_window]
        factor = rule.factor(slo_window)
        long_burn = burn_rate(long, objective)
        short_burn = burn_rate(short, objective)
        guarded = long.total < min_events
        firing = (
            not guarded
            and long_burn is not None
            and short_burn is not None
            and long_burn > factor
            and short_burn > factor
        )
        conditions.append(
            AlertCondition(
                severity=rule.severity,
                long_window=rule.long_window,
                short_window=rule.short_window,
                factor=factor,
                long_burn=long_burn,
                short_burn=short_burn,
                long_events=long.total,
                guarded=guarded,
                firing=firing,
            )
        )
    return conditions


@dataclass(frozen=True)
class TimesliceCounts:
    good_slices: int  # slices whose ratio reached the slice target
    slices_with_data: int
    slices_without_data: int

    @property
    def sli(self) -> float | None:
        if not self.slices_with_data:
            return None
        return self.good_slices / self.slices_with_data


def timeslices(
    series: Series,
    *,
    at: datetime,
    window: timedelta,
    slice_window: timedelta,
    slice_target: float,
) -> TimesliceCounts:
    """The Timeslices budgeting method: the window is cut into slices of
    `slice_window` ending at `at`; a slice is good when its good/total reaches
    `slice_target`. Slices without data are not judged, only counted."""
    if slice_window <= timedelta(0) or window < slice_window:
        raise ValueError("the slice must be positive and fit in the window")
    n = int(window / slice_window)
    good = with_data = 0
    for i in range(n):
        end = at - i * slice_window
        counts = series.counts(at=end, window=slice_window)
        if counts.sli is None:
            continue
        with_data += 1
        good += counts.sli >= slice_target
    return TimesliceCounts(
        good_slices=good, slices_with_data=with_data, slices_without_data=n - with_data
    )
