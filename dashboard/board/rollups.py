"""Hourly rollups of the raw CI tables, rebuilt per (domain, hour range).

The one primitive is `rollup_rebuild(source, domain_id, since, until)`: read the
raw rows of that domain in that range once (on the domain/time index), fold them
per key and hour in Python, and replace the rollup rows of the range in one
transaction. The refresher (`rollups_refresh`, a Celery beat task) finds which
hours changed — new rows by primary key above a watermark, plus a recent window
for rows that were updated (a run completing, a duplicate delivery) — and rebuilds
only those. `manage.py rebuild_rollups` rebuilds everything.
"""

import bisect
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.db import models, transaction
from django.utils import timezone

from config.tasks import task_options
from dashboard.board.models import (
    CIRollup,
    IngestRollup,
    PerfRollup,
    PlanCostRollup,
    RollupWatermark,
)
from dashboard.domains.models import Domain

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
# Rows updated after they were first counted are almost always recent: GitHub
# stops a job after six hours. The refresher rebuilds this window every time.
RECENT_WINDOW = timedelta(hours=7)
NEW_ROWS_BATCH = 50_000

# Upper bounds (seconds) of the duration histogram buckets, ~12% apart from 1 s
# to 2 days; the last bucket is open. p50/p95 read from it are within one bucket.
DURATION_BOUNDS_S: list[float] = [round(1.12**i, 2) for i in range(0, 106)]

PASSED = {"success"}
FAILED = {"failure", "timed_out", "startup_failure"}


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def duration_bucket(seconds: float) -> int:
    return bisect.bisect_left(DURATION_BOUNDS_S, max(seconds, 0.0))


def histogram_add(total: list[int], other: Iterable[int]) -> list[int]:
    other = list(other)
    if len(total) < len(other):
        total.extend([0] * (len(other) - len(total)))
    for i, count in enumerate(other):
        total[i] += count
    return total


def histogram_quantile(hist: list[int], q: float) -> float | None:
    """The upper bound of the bucket holding the q-quantile (None when empty)."""
    n = sum(hist)
    if not n:
        return None
    rank = q * n
    seen = 0
    for i, count in enumerate(hist):
        seen += count
        if seen >= rank and count:
            return DURATION_BOUNDS_S[min(i, len(DURATION_BOUNDS_S) - 1)]
    return DURATION_BOUNDS_S[-1]


# --- Sources ------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    name: str
    model_path: str
    time_field: str
    rollup: type[models.Model]
    fields: tuple[str, ...]
    fold: Callable[[int | None, Iterable[tuple]], list[models.Model]]

    @property
    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model_path)


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
                duration_hist=[],
            )
        item.runs += 1
        item.passed += conclusion in PASSED
        item.failed += conclusion in FAILED
        if completed_at is not None:
            seconds = (completed_at - started_at).total_seconds()
            item.duration_sum_s += seconds
            index = duration_bucket(seconds)
            if len(item.duration_hist) <= index:
                item.duration_hist.extend([0] * (index + 1 - len(item.duration_hist)))
            item.duration_hist[index] += 1
    return list(buckets.values())


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


SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            "ci",
            "pipelines.Run",
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
        ),
        Source(
            "perf",
            "pipelines.PerfSample",
            "created_at",
            PerfRollup,
            ("scenario", "created_at", "p95_ms", "peak_memory_mb"),
            _fold_perf,
        ),
        Source(
            "plans",
            "pipelines.QueryPlan",
            "created_at",
            PlanCostRollup,
            ("query_name", "created_at", "total_cost"),
            _fold_plans,
        ),
        Source(
            "ingest",
            "pipelines.WebhookDelivery",
            "received_at",
            IngestRollup,
            ("received_at", "state", "duplicate_count"),
            _fold_ingest,
        ),
    ]
}


# --- Rebuild and refresh --------------------------------------------------------------
def rollup_rebuild(
    *, source: Source, domain_id: int | None, since: datetime, until: datetime
) -> int:
    """Replace the rollup rows of one domain in [since, until) (hour-aligned)."""
    since, until = (
        floor_hour(since),
        floor_hour(until - timedelta(microseconds=1)) + HOUR,
    )
    raw = source.model.objects.using("default").filter(
        **{f"{source.time_field}__gte": since, f"{source.time_field}__lt": until}
    )
    raw = (
        raw.filter(domain__isnull=True)
        if domain_id is None
        else raw.filter(domain_id=domain_id)
    )
    rows = raw.order_by().values_list(*source.fields).iterator(chunk_size=10_000)
    built = source.fold(domain_id, rows)
    with transaction.atomic(using="default"):
        existing = source.rollup.objects.using("default").filter(
            hour__gte=since, hour__lt=until
        )
        existing = (
            existing.filter(domain__isnull=True)
            if domain_id is None
            else existing.filter(domain_id=domain_id)
        )
        existing.delete()
        source.rollup.objects.using("default").bulk_create(built, batch_size=2_000)
    return len(built)


def _ranges(hours: set[datetime]) -> list[tuple[datetime, datetime]]:
    """Contiguous [start, end) ranges covering the given hours."""
    ranges: list[tuple[datetime, datetime]] = []
    for hour in sorted(hours):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + HOUR)
        else:
            ranges.append((hour, hour + HOUR))
    return ranges


def rollups_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """Fold what changed since the last refresh into the rollups; returns the number
    of rollup rows rebuilt per source. Safe to run concurrently: the watermark row
    is locked, so a second refresher waits instead of double-counting."""
    now = now or timezone.now()
    rebuilt: dict[str, int] = {}
    domain_ids = list(Domain.objects.using("default").values_list("id", flat=True))
    for source in SOURCES.values():
        with transaction.atomic(using="default"):
            mark, _ = RollupWatermark.objects.using("default").get_or_create(
                name=source.name
            )
            mark = (
                RollupWatermark.objects.using("default")
                .select_for_update()
                .get(pk=mark.pk)
            )
            touched: dict[int | None, set[datetime]] = defaultdict(set)
            new_rows = list(
                source.model.objects.using("default")
                .filter(pk__gt=mark.last_id)
                .order_by("pk")
                .values_list("pk", "domain_id", source.time_field)[:NEW_ROWS_BATCH]
            )
            for _pk, domain_id, moment in new_rows:
                touched[domain_id].add(floor_hour(moment))
            recent_start = floor_hour(now - RECENT_WINDOW)
            recent = {recent_start + i * HOUR for i in range(8)}
            for domain_id in (
                [*domain_ids, None] if source.name == "ingest" else domain_ids
            ):
                touched[domain_id] |= recent
            count = 0
            for domain_id, hours in touched.items():
                for start, end in _ranges(hours):
                    count += rollup_rebuild(
                        source=source, domain_id=domain_id, since=start, until=end
                    )
            if new_rows:
                mark.last_id = new_rows[-1][0]
            mark.refreshed_at = now
            mark.save(update_fields=["last_id", "refreshed_at"])
            rebuilt[source.name] = count
    return rebuilt


def rollups_rebuild_all(
    *, domain_ids: list[int | None] | None = None
) -> dict[str, int]:
    """Rebuild every rollup from the raw tables (after a bulk load or a bug fix)."""
    from django.db.models import Max, Min

    result: dict[str, int] = {}
    ids = (
        domain_ids
        if domain_ids is not None
        else [*Domain.objects.using("default").values_list("id", flat=True), None]
    )
    for source in SOURCES.values():
        raw = source.model.objects.using("default")
        bounds = raw.aggregate(
            first=Min(source.time_field), last=Max(source.time_field), top=Max("pk")
        )
        count = 0
        if bounds["first"] is not None:
            for domain_id in ids:
                if domain_id is None and source.name != "ingest":
                    continue
                count += rollup_rebuild(
                    source=source,
                    domain_id=domain_id,
                    since=bounds["first"],
                    until=bounds["last"] + HOUR,
                )
        RollupWatermark.objects.using("default").update_or_create(
            name=source.name,
            defaults={"last_id": bounds["top"] or 0, "refreshed_at": timezone.now()},
        )
        result[source.name] = count
        logger.info("rollup rebuilt", extra={"source": source.name, "rows": count})
    return result


@shared_task(name="dashboard.refresh_rollups", **task_options(max_retries=0))
def refresh_rollups_task(self) -> dict[str, int]:
    return rollups_refresh()
