"""Time ranges, buckets and small helpers the panels share."""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib.postgres.aggregates import ArrayAgg, JSONBAgg
from django.db import connections
from django.db.models import (
    Aggregate,
    DateTimeField,
    DurationField,
    F,
    Func,
    Max,
    Min,
    QuerySet,
    Sum,
    Value,
)
from django.utils import timezone

from dashboard.platform.compiled import compiled_once


@dataclass(frozen=True)
class TimeRange:
    key: str
    label: str
    span: timedelta
    step: timedelta  # width of one chart point
    # A custom range (?from=&to=, whole UTC days) has fixed bounds; a preset
    # ends now.
    since: datetime | None = None
    until: datetime | None = None

    @property
    def step_label(self) -> str:
        hours = int(self.step.total_seconds() // 3600)
        return {1: "hour", 24: "day"}.get(hours, f"{hours} hours")

    @property
    def is_custom(self) -> bool:
        return self.since is not None

    @property
    def from_value(self) -> str:
        return self.since.strftime("%Y-%m-%d") if self.since else ""

    @property
    def to_value(self) -> str:
        return (self.until - DAY).strftime("%Y-%m-%d") if self.until else ""

    @property
    def query(self) -> str:
        """The range as it goes in a URL's query string."""
        if self.is_custom:
            return urlencode({"from": self.from_value, "to": self.to_value})
        return urlencode({"range": self.key})


RANGES: dict[str, TimeRange] = {
    r.key: r
    for r in [
        TimeRange("24h", "24 hours", timedelta(hours=24), timedelta(hours=1)),
        TimeRange("7d", "7 days", timedelta(days=7), timedelta(hours=6)),
        TimeRange("30d", "30 days", timedelta(days=30), timedelta(days=1)),
        TimeRange("90d", "90 days", timedelta(days=90), timedelta(days=1)),
    ]
}
DEFAULT_RANGE = "7d"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadRange(ValueError):
    pass


DAY = timedelta(days=1)
CUSTOM_MAX_DAYS = 366


def time_range(
    raw: str | None, start: str | None = None, end: str | None = None
) -> TimeRange:
    """A preset (`range`), or a custom range of whole UTC days (`from`, `to`,
    both YYYY-MM-DD, inclusive)."""
    if start or end:
        return custom_range(start or "", end or "")
    if raw in (None, ""):
        return RANGES[DEFAULT_RANGE]
    if raw not in RANGES:
        raise BadRange(f"range must be one of {', '.join(RANGES)}; got {raw[:20]!r}.")
    return RANGES[raw]


def custom_range(start: str, end: str, now: datetime | None = None) -> TimeRange:
    try:
        first = date.fromisoformat(start[:10]) if len(start) == 10 else None
        last = date.fromisoformat(end[:10]) if len(end) == 10 else None
    except ValueError:
        first = last = None
    if first is None or last is None:
        raise BadRange(
            "from and to are days as YYYY-MM-DD (both), e.g. "
            "?from=2026-11-01&to=2026-11-07."
        )
    today = (now or timezone.now()).astimezone(UTC).date()
    if first > last:
        raise BadRange("from must be on or before to.")
    if first > today:
        raise BadRange("from must not be after today (UTC).")
    days = (last - first).days + 1
    if days > CUSTOM_MAX_DAYS:
        raise BadRange(f"A custom range covers at most {CUSTOM_MAX_DAYS} days.")
    step = timedelta(hours=1 if days <= 2 else 6 if days <= 14 else 24)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return TimeRange(
        key=f"{first:%Y%m%d}-{last:%Y%m%d}",
        label=f"{first:%Y-%m-%d} to {last:%Y-%m-%d}",
        span=timedelta(days=days),
        step=step,
        since=since,
        until=since + timedelta(days=days),
    )


def bucket_start(moment: datetime, step: timedelta) -> datetime:
    """The start of the chart bucket (aligned to the epoch, UTC) holding `moment`."""
    seconds = int((moment - EPOCH).total_seconds())
    width = int(step.total_seconds())
    return EPOCH + timedelta(seconds=seconds - seconds % width)


class ChartPoint(Func):
    """bucket_start() in SQL (PostgreSQL 14+): the start of the chart point
    holding the timestamp, aligned to the epoch."""

    function = "date_bin"
    template = "%(function)s(%(expressions)s, TIMESTAMPTZ '1970-01-01 00:00:00+00')"
    output_field = DateTimeField()

    def __init__(self, field: str, step: timedelta):
        super().__init__(Value(step, output_field=DurationField()), F(field))


def _sum(values: list) -> object:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _max(values: list) -> object:
    return max((v for v in values if v is not None), default=None)


def _min(values: list) -> object:
    return min((v for v in values if v is not None), default=None)


_REDUCERS = {Sum: _sum, Max: _max, Min: _min, JSONBAgg: list, ArrayAgg: list}


def groups_in_sql() -> bool:
    """Whether the database folds hours into chart points (date_bin). Both
    aliases (default, replica) are always one engine."""
    return connections["default"].vendor == "postgresql"


def per_point(
    rows: Callable[..., QuerySet],
    time_range: TimeRange,
    keys: tuple[str, ...],
    aggregates: dict[str, Aggregate],
    field: str = "hour",
    **values: object,
) -> list[tuple]:
    """Hourly rollup rows folded into the range's chart points: one tuple
    (*keys, point start, *aggregates) per key and point, unordered.
    `rows(since=, until=, **values)` filters the rollup to the range (a
    function: on PostgreSQL the grouped statement is compiled once per process
    and run with these values, dashboard.platform.compiled). PostgreSQL groups
    them (a panel reads a few hundred points, not thousands of hours); other
    databases (SQLite) hand over the hours and Python groups them, with the
    same aggregates (Sum, Max, Min; JSONBAgg and ArrayAgg as lists)."""
    bounds = {"since": window(time_range), "until": time_range.until}
    if groups_in_sql():
        shape = {
            "keys": keys,
            "aggregates": tuple(aggregates.items()),
            "field": field,
            "step": time_range.step,
        }
        found = _grouped(rows)(**bounds, **values, shape=shape)
        return _decoded(found, len(keys) + 1, list(aggregates.values()))
    sources = [a.get_source_expressions()[0].name for a in aggregates.values()]
    reducers = [_REDUCERS[type(a)] for a in aggregates.values()]
    grouped: dict[tuple, list[list]] = {}
    hours = rows(**bounds, **values).order_by()
    for row in hours.values_list(*keys, field, *sources):
        key = (*row[: len(keys)], bucket_start(row[len(keys)], time_range.step))
        columns = grouped.setdefault(key, [[] for _ in sources])
        for column, value in zip(columns, row[len(keys) + 1 :], strict=True):
            column.append(value)
    return [
        (
            *key,
            *(reduce(column) for reduce, column in zip(reducers, columns, strict=True)),
        )
        for key, columns in grouped.items()
    ]


@functools.cache
def _grouped(rows: Callable[..., QuerySet]) -> Callable[..., list[tuple]]:
    """The points' statement of one rollup's `rows`, compiled once per shape."""

    def build(keys, aggregates, field, step, **values) -> QuerySet:
        aggregates = dict(aggregates)
        return (
            rows(**values)
            .annotate(point=ChartPoint(field, step))
            .values(*keys, "point")
            .annotate(**aggregates)
            .order_by()
            .values_list(*keys, "point", *aggregates)
        )

    return compiled_once(build)


def _decoded(rows: list[tuple], first: int, aggregates: list) -> list[tuple]:
    """The grouped rows as read through the cursor: a 90-day panel's hundreds
    of rows without the ORM's per-value converters (its values come from
    psycopg as they are: ints, floats, aware datetimes), only the JSONB
    aggregates decoded. tests/dashboard_panels/test_rollups_and_cache.py holds
    them equal to the ORM's."""
    decoded = [first + i for i, a in enumerate(aggregates) if isinstance(a, JSONBAgg)]
    if not decoded:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i in decoded:
            if isinstance(row[i], str):
                row[i] = json.loads(row[i])
        out.append(tuple(row))
    return out


def window(time_range: TimeRange, now: datetime | None = None) -> datetime:
    """The first hour the range covers (bucket-aligned, so points are whole)."""
    if time_range.since is not None:
        return time_range.since
    now = now or timezone.now()
    return bucket_start(now - time_range.span + time_range.step, time_range.step)


def window_end(time_range: TimeRange, now: datetime | None = None) -> datetime:
    """Where the range ends: its `until` (custom), else now."""
    return time_range.until or now or timezone.now()


def in_range(time_range: TimeRange, field: str = "hour") -> dict:
    """Filter keywords for rows of `field` inside the range."""
    return between(field, window(time_range), time_range.until)


def between(field: str, since: datetime, until: datetime | None) -> dict:
    """Filter keywords for rows of `field` from `since`, and before `until` if
    given: in_range() with the range's bounds passed in (compiled_once)."""
    bounds = {f"{field}__gte": since}
    if until is not None:
        bounds[f"{field}__lt"] = until
    return bounds


def iso(moment: datetime) -> str:
    """2026-11-29T09:00:00Z (what strftime("%Y-%m-%dT%H:%M:%SZ") writes, in a
    third of its time: a 90-day panel writes hundreds)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat("T", "seconds") + "Z"


def approximate_counts(tables: list[str], using: str = "replica") -> dict[str, int]:
    """Row counts from PostgreSQL's planner statistics: no scan, refreshed by
    (auto)ANALYZE; shown with "≈". Empty on other databases."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind IN ('r', 'p') AND relname = ANY(%s)",
            [tables],
        )
        return {name: max(int(n), 0) for name, n in cursor.fetchall()}
