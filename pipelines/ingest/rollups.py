"""The CI tables' hourly rollups: what the CI, performance, query-plan and
ingestion panels read. Registered with the dashboard's rollup machinery
(dashboard.board.rollups) in PipelinesConfig.ready()."""

import bisect
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import connections, models, transaction
from django.db.models import QuerySet

from dashboard.board.rollups import Source, floor_hour, rollups_touch_request
from pipelines.ingest.models import (
    CIRollup,
    CIRollupDay,
    IngestRollup,
    PerfRollup,
    PerfSample,
    PlanCostRollup,
    QueryPlan,
    Run,
    WebhookDelivery,
)

# Upper bounds (seconds) of the duration histogram buckets, ~12% apart from 1 s
# to 2 days; the last bucket is open. p50/p95 read from it are within one bucket.
DURATION_BOUNDS_S: list[float] = [round(1.12**i, 2) for i in range(0, 106)]

PASSED = {"success"}
FAILED = {"failure", "timed_out", "startup_failure"}


def duration_bucket(seconds: float) -> int:
    return bisect.bisect_left(DURATION_BOUNDS_S, max(seconds, 0.0))


# A histogram is stored sparse: {"<bucket index>": count} for the buckets that
# hold runs (an hour of one workflow holds a run or a few, so a dense 106-wide
# array would be almost all zeros, and so would everything reading it).
Histogram = dict[str, int]


def histogram_add(total: dict[int, int], other: Histogram) -> dict[int, int]:
    """Add a stored histogram into `total` (bucket index -> count)."""
    for index, count in other.items():
        index = int(index)
        total[index] = total.get(index, 0) + count
    return total


def histogram_quantile(hist: list[int] | dict, q: float) -> float | None:
    """The upper bound of the bucket holding the q-quantile (None when empty);
    `hist` is dense (count per bucket index) or sparse (index -> count)."""
    counts = (
        sorted((int(i), c) for i, c in hist.items())
        if isinstance(hist, dict)
        else list(enumerate(hist))
    )
    index = quantile_bucket(counts, q)
    if index is None:
        return None
    return DURATION_BOUNDS_S[min(index, len(DURATION_BOUNDS_S) - 1)]


def quantile_bucket(counts: list[tuple[int, int]], q: float) -> int | None:
    """The first bucket (index, count in index order) at which the running count
    reaches q × the total: what ci_health's SQL computes with a window sum."""
    n = sum(c for _, c in counts)
    if not n:
        return None
    rank = q * n
    seen = 0
    for index, count in counts:
        seen += count
        if seen >= rank and count:
            return index
    return len(DURATION_BOUNDS_S) - 1


def _fold_ci(domain_id: int | None, rows: Iterable[tuple]) -> list[models.Model]:
    buckets: dict[tuple, CIRollup] = {}
    for repository_id, workflow, started_at, completed_at, status, conclusion in rows:
        if status != "completed":
            continue
        key = (repository_id, workflow or "(unnamed)", floor_hour(started_at))
        item = buckets.get(key)
        if item is None:
            item = buckets[key] = CIRollup(
                domain_id=domain_id,
                repository_id=repository_id,
                workflow=key[1],
                hour=key[2],
                duration_hist={},
            )
        item.runs += 1
        item.passed += conclusion in PASSED
        item.failed += conclusion in FAILED
        if completed_at is not None:
            seconds = (completed_at - started_at).total_seconds()
            item.duration_sum_s += seconds
            index = str(duration_bucket(seconds))
            item.duration_hist[index] = item.duration_hist.get(index, 0) + 1
    return list(buckets.values())


DAY = timedelta(days=1)


def floor_day(moment: datetime) -> datetime:
    """00:00 UTC of the moment's day (the day-wide chart point holding it)."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# The CI rollup's columns, hourly and daily alike: what the SQL fold yields per
# hour and what the day sums read back.
CI_ROLLUP_COLUMNS = (
    "domain_id",
    "repository_id",
    "workflow",
    "hour",
    "runs",
    "passed",
    "failed",
    "duration_sum_s",
    "duration_hist",
)


def ci_days_rebuild(
    *, domain_id: int | None, since: datetime | None, until: datetime | None
) -> int:
    """Replace the CI day rows covering the hours [since, until) of one domain
    (None, None, None: every day of every domain) by the sums of their hours:
    counts added, histograms added bucket by bucket. The hourly rows are the
    only source, so a day and its 24 hours always say the same. On PostgreSQL
    the sums are one INSERT … SELECT (a full rebuild of the days of 500,000
    hours: about 10 s, against 34 s in Python)."""
    hours = CIRollup.objects.using("default").order_by()
    days = CIRollupDay.objects.using("default")
    scope, params = "TRUE", {}
    if domain_id is not None:
        hours = hours.filter(domain_id=domain_id)
        days = days.filter(domain_id=domain_id)
        scope, params = "domain_id = %(domain)s", {"domain": domain_id}
    if since is not None and until is not None:
        first = floor_day(since)
        end = floor_day(until - timedelta(microseconds=1)) + DAY
        hours = hours.filter(hour__gte=first, hour__lt=end)
        days = days.filter(day__gte=first, day__lt=end)
        scope += " AND hour >= %(first)s AND hour < %(end)s"
        params |= {"first": first, "end": end}
    with transaction.atomic(using="default"):
        days.delete()
        if connections["default"].vendor == "postgresql":
            with connections["default"].cursor() as cursor:
                cursor.execute(_CI_DAYS_SQL.format(scope=scope), params)
                return max(cursor.rowcount, 0)
        built = _fold_ci_days(hours)
        CIRollupDay.objects.using("default").bulk_create(built, batch_size=2_000)
        return len(built)


def _fold_ci_days(hours: QuerySet) -> list[CIRollupDay]:
    """The same sums in Python (SQLite), over the given hourly rows."""
    built: dict[tuple, CIRollupDay] = {}
    for row in hours.values_list(*CI_ROLLUP_COLUMNS).iterator(chunk_size=10_000):
        key = (row[0], row[1], row[2], floor_day(row[3]))
        item = built.get(key)
        if item is None:
            item = built[key] = CIRollupDay(
                domain_id=key[0],
                repository_id=key[1],
                workflow=key[2],
                day=key[3],
                duration_hist={},
            )
        item.runs += row[4]
        item.passed += row[5]
        item.failed += row[6]
        item.duration_sum_s += row[7]
        merged = item.duration_hist
        for index, count in row[8].items():
            merged[index] = merged.get(index, 0) + count
    for item in built.values():
        counts = sorted((int(i), c) for i, c in item.duration_hist.items())
        item.p50_bucket = quantile_bucket(counts, 0.5)
        item.p95_bucket = quantile_bucket(counts, 0.95)
    return list(built.values())


# Per (series, day): the hours' counts summed, and their histograms summed per
# bucket (every hour's {"index": count} pairs, grouped by index).
_CI_DAYS_SQL = f"""
WITH hours AS (
    SELECT domain_id, repository_id, workflow,
        date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day,
        runs, passed, failed, duration_sum_s, duration_hist
    FROM {CIRollup._meta.db_table}
    WHERE {{scope}}
), totals AS (
    SELECT domain_id, repository_id, workflow, day, sum(runs) AS runs,
        sum(passed) AS passed, sum(failed) AS failed,
        sum(duration_sum_s) AS duration_sum_s
    FROM hours GROUP BY domain_id, repository_id, workflow, day
), per_bucket AS (
    SELECT domain_id, repository_id, workflow, day, b.key::int AS bucket,
        sum(b.value::bigint) AS n
    FROM hours CROSS JOIN LATERAL jsonb_each_text(duration_hist) AS b
    GROUP BY domain_id, repository_id, workflow, day, b.key
), ranked AS (
    SELECT *, sum(n) OVER (PARTITION BY domain_id, repository_id, workflow, day
                           ORDER BY bucket) AS running,
        sum(n) OVER (PARTITION BY domain_id, repository_id, workflow, day) AS total
    FROM per_bucket
), buckets AS (
    -- quantile_bucket(): the first bucket whose running count reaches q × the
    -- total, compared in doubles as Python compares them.
    SELECT domain_id, repository_id, workflow, day,
        jsonb_object_agg(bucket::text, n) AS duration_hist,
        min(bucket) FILTER (WHERE n > 0 AND running::float8
                            >= 0.5::float8 * total::float8) AS p50_bucket,
        min(bucket) FILTER (WHERE n > 0 AND running::float8
                            >= 0.95::float8 * total::float8) AS p95_bucket
    FROM ranked
    GROUP BY domain_id, repository_id, workflow, day
)
INSERT INTO {CIRollupDay._meta.db_table} (domain_id, repository_id, workflow, day,
    runs, passed, failed, duration_sum_s, duration_hist, p50_bucket, p95_bucket)
SELECT t.domain_id, t.repository_id, t.workflow, t.day, t.runs, t.passed,
    t.failed, t.duration_sum_s, COALESCE(b.duration_hist, '{{{{}}}}'::jsonb),
    b.p50_bucket, b.p95_bucket
FROM totals t LEFT JOIN buckets b
    USING (domain_id, repository_id, workflow, day)
"""  # noqa: S608  # nosec B608 # module constants; {scope} is fixed text


def _fold_perf(domain_id: int | None, rows: Iterable[tuple]) -> list[models.Model]:
    buckets: dict[tuple, PerfRollup] = {}
    for scenario, created_at, p95_ms, memory_mb in rows:
        key = (scenario, floor_hour(created_at))
        item = buckets.get(key)
        if item is None:
            item = buckets[key] = PerfRollup(
                domain_id=domain_id, scenario=scenario, hour=key[1]
            )
        item.samples += 1
        item.p95_sum_ms += p95_ms
        item.p95_max_ms = max(item.p95_max_ms, p95_ms)
        if memory_mb is not None:
            item.memory_max_mb = max(item.memory_max_mb or 0.0, memory_mb)
    return list(buckets.values())


def _fold_plans(domain_id: int | None, rows: Iterable[tuple]) -> list[models.Model]:
    buckets: dict[tuple, PlanCostRollup] = {}
    for query_name, created_at, total_cost in rows:
        key = (query_name, floor_hour(created_at))
        item = buckets.get(key)
        if item is None:
            item = buckets[key] = PlanCostRollup(
                domain_id=domain_id, query_name=query_name, hour=key[1]
            )
        item.plans += 1
        item.cost_sum += total_cost
        item.cost_max = max(item.cost_max, total_cost)
    return list(buckets.values())


def _fold_ingest(domain_id: int | None, rows: Iterable[tuple]) -> list[models.Model]:
    buckets: dict[datetime, IngestRollup] = {}
    for received_at, state, duplicate_count in rows:
        hour = floor_hour(received_at)
        item = buckets.get(hour)
        if item is None:
            item = buckets[hour] = IngestRollup(domain_id=domain_id, hour=hour)
        item.received += 1
        item.duplicates += duplicate_count
        item.failed += state == "failed"
        item.unmapped += domain_id is None
    return list(buckets.values())


# --- The same folds in SQL (PostgreSQL; dashboard.board.rollups runs them) ---
# The hour of a timestamp, in UTC whatever the session's time zone.
_HOUR = "date_trunc('hour', {0} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
# duration_bucket() in SQL: bisect_left(bounds, s) is the number of bounds below
# s, i.e. 106 - (number of negated bounds <= -s), which width_bucket() counts
# over the negated bounds in ascending order. Same doubles as DURATION_BOUNDS_S.
_NEGATED_BOUNDS = ", ".join(repr(-b) for b in reversed(DURATION_BOUNDS_S))
_BUCKET = (
    f"{len(DURATION_BOUNDS_S)} - width_bucket(-GREATEST(d.seconds, 0), "
    f"ARRAY[{_NEGATED_BOUNDS}]::float8[])"
)


def _sql_list(values: set[str]) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))


# Per (key, hour, bucket) first, then per (key, hour) with the buckets gathered
# into the sparse histogram. Seconds as total_seconds() gives them: the exact
# difference of the two epochs, rounded once to a double.
_CI_SQL = f"""
SELECT domain_id, repository_id, workflow, hour, sum(n), sum(passed), sum(failed),
    sum(seconds_sum),
    COALESCE(jsonb_object_agg(bucket::text, n) FILTER (WHERE bucket IS NOT NULL),
             '{{{{}}}}'::jsonb)
FROM (
    SELECT domain_id, repository_id,
        COALESCE(NULLIF(workflow, ''), '(unnamed)') AS workflow,
        {_HOUR.format("started_at")} AS hour,
        CASE WHEN completed_at IS NOT NULL THEN {_BUCKET} END AS bucket,
        count(*) AS n,
        count(*) FILTER (WHERE conclusion IN ({_sql_list(PASSED)})) AS passed,
        count(*) FILTER (WHERE conclusion IN ({_sql_list(FAILED)})) AS failed,
        COALESCE(sum(d.seconds), 0) AS seconds_sum
    FROM {Run._meta.db_table}
    CROSS JOIN LATERAL (SELECT (EXTRACT(EPOCH FROM completed_at)
                                - EXTRACT(EPOCH FROM started_at))::float8 AS seconds) d
    WHERE status = 'completed' AND {{scope}} AND {{window}}
    GROUP BY 1, 2, 3, 4, 5
) per_bucket
GROUP BY domain_id, repository_id, workflow, hour
"""  # noqa: S608  # nosec B608 # module constants only
_PERF_SQL = f"""
SELECT domain_id, scenario, {_HOUR.format("created_at")} AS hour, count(*),
    sum(p95_ms), GREATEST(max(p95_ms), 0),
    CASE WHEN count(peak_memory_mb) > 0 THEN GREATEST(max(peak_memory_mb), 0) END
FROM {PerfSample._meta.db_table}
WHERE {{scope}} AND {{window}}
GROUP BY 1, 2, 3
"""  # noqa: S608  # nosec B608 # module constants only
_PLANS_SQL = f"""
SELECT domain_id, query_name, {_HOUR.format("created_at")} AS hour, count(*),
    sum(total_cost), GREATEST(max(total_cost), 0)
FROM {QueryPlan._meta.db_table}
WHERE {{scope}} AND {{window}}
GROUP BY 1, 2, 3
"""  # noqa: S608  # nosec B608 # module constants only
_INGEST_SQL = f"""
SELECT domain_id, {_HOUR.format("received_at")} AS hour, count(*),
    sum(duplicate_count), count(*) FILTER (WHERE state = 'failed'),
    CASE WHEN domain_id IS NULL THEN count(*) ELSE 0 END
FROM {WebhookDelivery._meta.db_table}
WHERE {{scope}} AND {{window}}
GROUP BY 1, 2
"""  # noqa: S608  # nosec B608 # module constants only


SOURCES: list[Source] = [
    Source(
        "ci",
        Run,
        "started_at",
        CIRollup,
        (
            "repository_id",
            "workflow",
            "started_at",
            "completed_at",
            "status",
            "conclusion",
        ),
        _fold_ci,
        updated_field="updated_at",
        derived=ci_days_rebuild,
        select_sql=_CI_SQL,
        select_columns=CI_ROLLUP_COLUMNS,
    ),
    Source(
        "perf",
        PerfSample,
        "created_at",
        PerfRollup,
        ("scenario", "created_at", "p95_ms", "peak_memory_mb"),
        _fold_perf,
        select_sql=_PERF_SQL,
        select_columns=(
            "domain_id",
            "scenario",
            "hour",
            "samples",
            "p95_sum_ms",
            "p95_max_ms",
            "memory_max_mb",
        ),
    ),
    Source(
        "plans",
        QueryPlan,
        "created_at",
        PlanCostRollup,
        ("query_name", "created_at", "total_cost"),
        _fold_plans,
        select_sql=_PLANS_SQL,
        select_columns=(
            "domain_id",
            "query_name",
            "hour",
            "plans",
            "cost_sum",
            "cost_max",
        ),
    ),
    Source(
        "ingest",
        WebhookDelivery,
        "received_at",
        IngestRollup,
        ("received_at", "state", "duplicate_count"),
        _fold_ingest,
        with_unmapped=True,
        select_sql=_INGEST_SQL,
        select_columns=(
            "domain_id",
            "hour",
            "received",
            "duplicates",
            "failed",
            "unmapped",
        ),
    ),
]


def evidence_changed_touch(sender, *, repository_id: int, **kwargs) -> None:
    """Receiver of commit_evidence_changed: new evidence shows on the dashboard
    within seconds (the domain's recent rollup hours are rebuilt at once)."""
    rollups_touch_request(repository_id=repository_id)
