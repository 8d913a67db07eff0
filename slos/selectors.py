"""Reads for SLOs: a domain's SLOs, and an SLO's status at an instant."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Trunc

from dashboard.domains.models import Domain
from slos import maths
from slos.models import Budgeting, SliHour, SliPoint, Slo, SloAlert

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
    # The points of one ts (a rollout's pin versions each send theirs) are one
    # point of the series: their sum, as the hourly sums and windows count them.
    rows = (
        SliPoint.objects.filter(slo=slo, ts__gt=at - reach, ts__lte=at)
        .values("ts")
        .annotate(good_sum=Sum("good"), total_sum=Sum("total"))
        .order_by("ts")
        .values_list("ts", "good_sum", "total_sum")
    )
    return maths.Series(maths.Point(ts, float(g), float(t)) for ts, g, t in rows)


def alerts_of(slo: Slo) -> QuerySet[SloAlert]:
    return SloAlert.objects.filter(slo=slo)


# Windows up to this long are summed from the points themselves; longer ones
# from whole hours plus the points of the two partial hours at their ends.
RAW_REACH = 2 * maths.HOUR
SLO_WINDOW = "slo"  # the name of an SLO's own window in window_counts()


def window_counts(
    slos: Iterable[Slo], *, at: datetime
) -> dict[int, dict[str, maths.Counts]]:
    """Σgood and Σtotal over each burn-rate window and the SLO's own window
    (key "slo"), for every SLO, at `at` — exactly the sums over the points with
    at − w < ts ≤ at. Three queries per thousand SLOs, whatever the length of
    the windows (docs/slos.md, "Storage")."""
    slos = list(slos)
    found: dict[int, dict[str, maths.Counts]] = {}
    for start in range(0, len(slos), 1_000):
        chunk = slos[start : start + 1_000]
        own = {f"w{s.window_seconds}": s.window_seconds for s in chunk}
        windows = {
            **maths.BURN_WINDOWS,
            **{name: timedelta(seconds=sec) for name, sec in own.items()},
        }
        counts = _counts([s.pk for s in chunk], windows, at)
        for slo in chunk:
            mine = counts[slo.pk]
            found[slo.pk] = {
                **{name: mine[name] for name in maths.BURN_WINDOWS},
                SLO_WINDOW: mine[f"w{slo.window_seconds}"],
            }
    return found


def _sums_sql(table: str, filters: list[str]) -> str:
    columns = ", ".join(
        f"coalesce(sum(good) FILTER (WHERE {f}), 0), "
        f"coalesce(sum(total) FILTER (WHERE {f}), 0)"
        for f in filters
    )
    # Only constant table names and filters built here; every value is a parameter.
    return f"SELECT slo_id, {columns} FROM {table} WHERE slo_id = ANY(%(ids)s) AND "  # noqa: S608  # nosec B608


def _run(
    sql: str, params: dict, names: list[str]
) -> dict[int, dict[str, maths.Counts]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        row[0]: {
            name: maths.Counts(float(row[1 + 2 * i]), float(row[2 + 2 * i]))
            for i, name in enumerate(names)
        }
        for row in rows
    }


def _counts_from_points(
    ids: list[int], windows: dict[str, timedelta], at: datetime
) -> dict[int, dict[str, maths.Counts]]:
    """The same sums straight from the points, in Python: the path of
    databases without PostgreSQL's FILTER and ANY (SQLite, under a bare
    `make run`), where the data is a demo's, not a year of minutes."""
    sums = {i: {n: [0.0, 0.0] for n in windows} for i in ids}
    rows = SliPoint.objects.filter(
        slo_id__in=ids, ts__gt=at - max(windows.values()), ts__lte=at
    ).values_list("slo_id", "ts", "good", "total")
    for slo_id, ts, good, total in rows.iterator(chunk_size=5_000):
        for name, w in windows.items():
            if ts > at - w:
                sums[slo_id][name][0] += good
                sums[slo_id][name][1] += total
    return {
        i: {n: maths.Counts(float(g), float(t)) for n, (g, t) in mine.items()}
        for i, mine in sums.items()
    }


def _counts(
    ids: list[int], windows: dict[str, timedelta], at: datetime
) -> dict[int, dict[str, maths.Counts]]:
    if connection.vendor != "postgresql":
        return _counts_from_points(ids, windows, at)
    hour = maths.hour_floor(at)
    short = {n: w for n, w in windows.items() if w <= RAW_REACH}
    long = {n: w for n, w in windows.items() if w > RAW_REACH}
    params: dict = {"ids": ids, "at": at, "hour": hour}
    # 1. The last two hours from the points: the short windows, and the tail
    #    (hour, at] that every long window ends with.
    filters, names = [], []
    for i, (name, w) in enumerate(short.items()):
        params[f"s{i}"] = at - w
        filters.append(f"ts > %(s{i})s")
        names.append(name)
    filters.append("ts > %(hour)s")
    names.append("tail")
    params["low"] = at - max([*short.values(), at - hour])
    raw = _run(
        _sums_sql("slos_slipoint", filters)
        + "ts > %(low)s AND ts <= %(at)s GROUP BY slo_id",
        params,
        names,
    )
    # 2. The head of each long window, (at − w, first whole hour], from points;
    # 3. its whole hours, (first whole hour, hour], from the hourly sums.
    heads, head_names, hours, hour_names, ranges = [], [], [], [], []
    for i, (name, w) in enumerate(long.items()):
        start = at - w
        params[f"a{i}"], params[f"h{i}"] = start, maths.hour_end(start)
        if params[f"a{i}"] < params[f"h{i}"]:
            condition = f"ts > %(a{i})s AND ts <= %(h{i})s"
            heads.append(condition)
            ranges.append(f"({condition})")
            head_names.append(name)
        hours.append(f"hour_end > %(h{i})s")
        hour_names.append(name)
    head = (
        _run(
            _sums_sql("slos_slipoint", heads)
            + f"({' OR '.join(ranges)}) GROUP BY slo_id",
            params,
            head_names,
        )
        if heads
        else {}
    )
    params["first"] = min(params[f"h{i}"] for i in range(len(long))) if long else hour
    whole = (
        _run(
            _sums_sql("slos_slihour", hours)
            + "hour_end > %(first)s AND hour_end <= %(hour)s GROUP BY slo_id",
            params,
            hour_names,
        )
        if long
        else {}
    )
    empty = maths.Counts(0.0, 0.0)
    found = {}
    for slo_id in ids:
        mine = raw.get(slo_id, {})
        counts = {name: mine.get(name, empty) for name in short}
        tail = mine.get("tail", empty)
        for name in long:
            parts = (
                head.get(slo_id, {}).get(name, empty),
                whole.get(slo_id, {}).get(name, empty),
                tail,
            )
            counts[name] = maths.Counts(
                sum(p.good for p in parts), sum(p.total for p in parts)
            )
        found[slo_id] = counts
    return found


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
    counts_by_window = window_counts([slo], at=at)[slo.pk]
    window = timedelta(seconds=slo.window_seconds)
    counts = counts_by_window[SLO_WINDOW]
    slices = None
    sli = counts.sli
    budget = maths.error_budget(counts, slo.objective)
    if slo.budgeting == Budgeting.TIMESLICES and slo.slice_window_seconds:
        slices = maths.timeslices(
            slo_series(slo, at=at, reach=window),
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
            name: maths.burn_rate(counts_by_window[name], slo.objective)
            for name in maths.BURN_WINDOWS
        },
        alerts=maths.alert_conditions_of(
            counts_by_window,
            objective=slo.objective,
            slo_window=window,
            min_events=slo.min_events,
        ),
        timeslices=slices,
    )


@dataclass(frozen=True)
class SloHistory:
    """Hour by hour over the SLO window up to `at`: the SLI of each hour and
    the error budget left so far in the window (a burn-down). `hours` are the
    ends of the hours; the last one may be the partial hour ending at `at`."""

    hours: list[datetime]
    sli: list[float | None]
    budget_left: list[float | None]


def slo_history(slo: Slo, *, at: datetime) -> SloHistory:
    """Two queries: the window's whole hours from the hourly sums, and the
    points of the hour `at` is in (and of the partial hour the window starts in)."""
    since = at - timedelta(seconds=slo.window_seconds)
    first, last = maths.hour_end(since), maths.hour_floor(at)
    by_hour: dict[datetime, list[float]] = {
        hour_end: [float(good), float(total)]
        for hour_end, good, total in SliHour.objects.filter(
            slo=slo, hour_end__gt=first, hour_end__lte=last
        ).values_list("hour_end", "good", "total")
    }
    edges = SliPoint.objects.filter(
        Q(ts__gt=since, ts__lte=min(first, at))
        | Q(ts__gt=max(last, since), ts__lte=at),
        slo=slo,
    ).values_list("ts", "good", "total")
    for ts, good, total in edges:
        sums = by_hour.setdefault(min(maths.hour_end(ts), at), [0.0, 0.0])
        sums[0] += good
        sums[1] += total
    hours, sli, left = [], [], []
    good_so_far = total_so_far = 0.0
    for hour in sorted(by_hour):
        good, total = by_hour[hour]
        good_so_far += good
        total_so_far += total
        hours.append(hour)
        sli.append(good / total if total else None)
        left.append(
            maths.error_budget(
                maths.Counts(good_so_far, total_so_far), slo.objective
            ).remaining
        )
    return SloHistory(hours=hours, sli=sli, budget_left=left)


def slo_overview(domain_id: int, *, at: datetime) -> dict:
    """Every SLO of a domain at `at`: SLI and budget left over its window, 1h
    burn, open alerts; firing first. Queries do not grow with the number of
    SLOs (window_counts, and one for alerts)."""
    slos = list(Slo.objects.filter(domain_id=domain_id).order_by("name"))
    counts = window_counts(slos, at=at)
    firing = defaultdict(list)
    for alert in SloAlert.objects.filter(
        slo_id__in=[s.pk for s in slos], resolved_at__isnull=True, fired_at__lte=at
    ):
        firing[alert.slo_id].append(f"{alert.severity} ({alert.long_window})")
    rows = []
    for slo in slos:
        window = counts[slo.pk][SLO_WINDOW]
        budget = maths.error_budget(window, slo.objective)
        rows.append(
            {
                "pk": slo.pk,
                "name": slo.name,
                "service": slo.service,
                "objective_pct": round(slo.objective * 100, 4),
                "window_days": round(slo.window_seconds / 86400, 2),
                "sli_pct": None if window.sli is None else round(window.sli * 100, 4),
                "budget_left_pct": None
                if budget.remaining is None
                else round(budget.remaining * 100, 1),
                "burn_1h": maths.burn_rate(counts[slo.pk]["1h"], slo.objective),
                "firing": firing.get(slo.pk, []),
            }
        )
    rows.sort(key=lambda r: (not r["firing"], r["name"]))
    return {"as_of": at.isoformat(), "slos": rows}


def slo_overview_many(domain_ids: list[int], *, at: datetime) -> dict[int, dict]:
    """Per domain: the SLO with the least error budget left (over its own
    window) and the open alerts, for the overview. Queries do not grow with
    domains or SLOs: one for the SLOs, window_counts (three per thousand
    SLOs), one for the alerts."""
    slos = list(
        Slo.objects.filter(domain_id__in=domain_ids).only(
            "id", "domain_id", "name", "objective", "window_seconds"
        )
    )
    counts = {pk: c[SLO_WINDOW] for pk, c in window_counts(slos, at=at).items()}
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


# --- Points tagged with a model or prompt pin -----------------------------------------
# slos knows nothing of pins: a tag is two strings the application sent with its
# points (pipelines/pins reads them to split a rollout's errors by version).
@dataclass(frozen=True)
class PinTaggedCounts:
    slo_id: int
    slo_name: str
    pin_version: str
    points: int
    good: int
    total: int


def pin_tagged_counts(
    *,
    domain_id: int,
    pin_id: str,
    versions: list[str],
    since: datetime,
    until: datetime,
) -> list[PinTaggedCounts]:
    """Σgood, Σtotal and the number of points per (SLO, pin version) of the
    domain's points tagged `pin_id` with one of `versions`, since < ts ≤ until.
    One query (the partial index over tagged points)."""
    rows = (
        SliPoint.objects.filter(
            slo__domain_id=domain_id,
            pin_id=pin_id,
            pin_version__in=versions,
            ts__gt=since,
            ts__lte=until,
        )
        .values("slo_id", "slo__name", "pin_version")
        .annotate(points=Count("id"), good_sum=Sum("good"), total_sum=Sum("total"))
        .order_by("slo__name", "pin_version")
    )
    return [
        PinTaggedCounts(
            slo_id=row["slo_id"],
            slo_name=row["slo__name"],
            pin_version=row["pin_version"],
            points=row["points"],
            good=int(row["good_sum"]),
            total=int(row["total_sum"]),
        )
        for row in rows
    ]


def pin_tagged_buckets(
    *,
    slo_id: int,
    pin_id: str,
    versions: list[str],
    since: datetime,
    until: datetime,
    bucket: str = "hour",
) -> list[tuple[datetime, str, int, int]]:
    """(bucket start, pin version, Σgood, Σtotal) of one SLO's tagged points,
    since < ts ≤ until, by the UTC `bucket` ("minute" or "hour") their ts
    falls in (a chart's buckets)."""
    return list(
        SliPoint.objects.filter(
            slo_id=slo_id,
            pin_id=pin_id,
            pin_version__in=versions,
            ts__gt=since,
            ts__lte=until,
        )
        .annotate(start=Trunc("ts", bucket, tzinfo=UTC))
        .values("start", "pin_version")
        .annotate(good_sum=Sum("good"), total_sum=Sum("total"))
        .order_by("start", "pin_version")
        .values_list("start", "pin_version", "good_sum", "total_sum")
    )


def pin_version_window_counts(
    slo: Slo, *, pin_id: str, versions: list[str], at: datetime, window: timedelta
) -> maths.Counts:
    """Σgood and Σtotal of the SLO's points tagged with one of `versions` of
    `pin_id`, at − window < ts ≤ at (a rollout guard's candidate burn)."""
    sums = SliPoint.objects.filter(
        slo=slo,
        pin_id=pin_id,
        pin_version__in=versions,
        ts__gt=at - window,
        ts__lte=at,
    ).aggregate(good_sum=Sum("good"), total_sum=Sum("total"))
    return maths.Counts(float(sums["good_sum"] or 0), float(sums["total_sum"] or 0))
