"""Time ranges, buckets and small helpers the panels share."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.utils import timezone


@dataclass(frozen=True)
class TimeRange:
    key: str
    label: str
    span: timedelta
    step: timedelta  # width of one chart point

    @property
    def step_label(self) -> str:
        hours = int(self.step.total_seconds() // 3600)
        return {1: "hour", 24: "day"}.get(hours, f"{hours} hours")


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


def time_range(raw: str | None) -> TimeRange:
    if raw in (None, ""):
        return RANGES[DEFAULT_RANGE]
    if raw not in RANGES:
        raise BadRange(f"range must be one of {', '.join(RANGES)}; got {raw[:20]!r}.")
    return RANGES[raw]


def bucket_start(moment: datetime, step: timedelta) -> datetime:
    """The start of the chart bucket (aligned to the epoch, UTC) holding `moment`."""
    seconds = int((moment - EPOCH).total_seconds())
    width = int(step.total_seconds())
    return EPOCH + timedelta(seconds=seconds - seconds % width)


def window(time_range: TimeRange, now: datetime | None = None) -> datetime:
    """The first hour the range covers (bucket-aligned, so points are whole)."""
    now = now or timezone.now()
    return bucket_start(now - time_range.span + time_range.step, time_range.step)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
