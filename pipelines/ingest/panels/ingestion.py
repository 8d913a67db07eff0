"""Ingestion health: webhook deliveries per hour, duplicates, failures, unmapped,
dead letters waiting, and approximate sizes of the big tables."""

from collections import defaultdict
from datetime import datetime

from django.db.models import Q, QuerySet, Sum

from dashboard.board.panels.common import (
    TimeRange,
    approximate_counts,
    between,
    iso,
    per_point,
)
from dashboard.platform.models import DeadLetter
from pipelines.ingest.models import IngestRollup

BIG_TABLES = {
    "pipelines_testresult": "test results",
    "pipelines_run": "CI runs",
    "pipelines_webhookdelivery": "webhook deliveries",
}


def _rollups(domain_id: int, since: datetime, until: datetime | None) -> QuerySet:
    """The domain's hours, and the unmapped deliveries' (no domain)."""
    return IngestRollup.objects.filter(
        Q(domain_id=domain_id) | Q(domain__isnull=True),
        **between("hour", since, until),
    )


def build(domain_id: int, time_range: TimeRange) -> dict:
    buckets: dict = defaultdict(
        lambda: {"received": 0, "duplicates": 0, "failed": 0, "unmapped": 0}
    )
    for row_domain, point, received, duplicates, failed, unmapped in per_point(
        _rollups,
        time_range,
        ("domain_id",),
        {
            "received_total": Sum("received"),
            "duplicates_total": Sum("duplicates"),
            "failed_total": Sum("failed"),
            "unmapped_total": Sum("unmapped"),
        },
        domain_id=domain_id,
    ):
        acc = buckets[point]
        if row_domain is None:
            acc["unmapped"] += unmapped
        else:
            acc["received"] += received
            acc["duplicates"] += duplicates
            acc["failed"] += failed
    points = [
        {
            "t": iso(bucket),
            "ok": acc["received"] - acc["failed"],
            "duplicates": acc["duplicates"],
            "failed": acc["failed"],
            "unmapped": acc["unmapped"],
        }
        for bucket, acc in sorted(buckets.items())
    ]
    sizes = approximate_counts(list(BIG_TABLES))
    return {
        "per": time_range.step_label,
        "points": points,
        "totals": {
            "received": sum(p["ok"] + p["failed"] for p in points),
            "duplicates": sum(p["duplicates"] for p in points),
            "failed": sum(p["failed"] for p in points),
            "unmapped": sum(p["unmapped"] for p in points),
        },
        "dead_letters_waiting": DeadLetter.objects.filter(
            domain_id=domain_id, replayed_at__isnull=True
        ).count(),
        "table_sizes": [
            {"label": label, "approx": sizes[table]}
            for table, label in BIG_TABLES.items()
            if table in sizes
        ],
    }
