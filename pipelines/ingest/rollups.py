"""The CI tables' hourly rollups: what the CI, performance, query-plan and
ingestion panels read. Registered with the dashboard's rollup machinery
(dashboard.board.rollups) in PipelinesConfig.ready()."""

import bisect
import operator
from collections.abc import Iterable
from datetime import datetime

from django.db import models

from dashboard.board.rollups import Source, floor_hour, rollups_touch_request
from pipelines.ingest.models import (
    CIRollup,
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


def histogram_add(total: list[int], other: Iterable[int]) -> list[int]:
    other = other if isinstance(other, list) else list(other)
    if len(total) < len(other):
        total.extend([0] * (len(other) - len(total)))
    # Bucket by bucket in C (panels add thousands of 106-bucket histograms).
    total[: len(other)] = map(operator.add, total, other)
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
    ),
    Source(
        "perf",
        PerfSample,
        "created_at",
        PerfRollup,
        ("scenario", "created_at", "p95_ms", "peak_memory_mb"),
        _fold_perf,
    ),
    Source(
        "plans",
        QueryPlan,
        "created_at",
        PlanCostRollup,
        ("query_name", "created_at", "total_cost"),
        _fold_plans,
    ),
    Source(
        "ingest",
        WebhookDelivery,
        "received_at",
        IngestRollup,
        ("received_at", "state", "duplicate_count"),
        _fold_ingest,
        with_unmapped=True,
    ),
]


def evidence_changed_touch(sender, *, repository_id: int, **kwargs) -> None:
    """Receiver of commit_evidence_changed: new evidence shows on the dashboard
    within seconds (the domain's recent rollup hours are rebuilt at once)."""
    rollups_touch_request(repository_id=repository_id)
