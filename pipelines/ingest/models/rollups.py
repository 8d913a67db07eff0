"""Hourly rollups of the CI tables, which the dashboard's panels read.

Rebuilt per (domain, hour) by pipelines.ingest.rollups, so a panel reads a few
hundred small rows instead of scanning years of history. The tables keep the
names they had when the dashboard app owned them (see migration 0005).
"""

from django.db import models


class CIRollup(models.Model):
    """CI runs of one workflow in one repository, started in one hour.

    Rollups are read by (domain, hour) only: that index serves every panel, so
    the foreign keys carry no index of their own.
    """

    domain = models.ForeignKey(
        "dashboard.Domain", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    repository = models.ForeignKey(
        "dashboard.Repository", on_delete=models.CASCADE, related_name="+"
    )
    workflow = models.CharField(max_length=200)
    hour = models.DateTimeField()
    runs = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    duration_sum_s = models.FloatField(default=0)
    # Counts per bucket of pipelines.ingest.rollups.DURATION_BOUNDS_S, sparse:
    # {"<bucket index>": runs} for the buckets that hold runs. Hours merge by
    # adding their histograms, so p50/p95 over any range need no raw rows.
    duration_hist = models.JSONField(default=dict)

    class Meta:
        db_table = "dashboard_cirollup"
        ordering = ["hour"]
        indexes = [
            models.Index(fields=["domain", "hour"], name="cirollup_domain_hour"),
            # The overview's pass rate over every domain and the last 14 days:
            # an index-only scan, never a read of the wide histogram rows.
            models.Index(
                fields=["hour"],
                name="cirollup_hour_totals",
                include=["domain", "passed", "failed"],
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "repository", "workflow", "hour"],
                name="uniq_cirollup_bucket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow} {self.hour:%Y-%m-%d %H}h: {self.passed}/{self.runs}"


class CIRollupDay(models.Model):
    """The CI rollup per UTC day: what day-wide chart points (the 30- and 90-day
    ranges, custom ranges past 14 days) read, a row per point and series instead
    of 24 hours' histograms to gather and merge. Never written on its own: kept
    from the hourly rows whenever those are rebuilt (pipelines.ingest.rollups.
    ci_days_rebuild, in the same transaction), so the two always agree."""

    domain = models.ForeignKey(
        "dashboard.Domain", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    repository = models.ForeignKey(
        "dashboard.Repository", on_delete=models.CASCADE, related_name="+"
    )
    workflow = models.CharField(max_length=200)
    day = models.DateTimeField()  # 00:00 UTC
    runs = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    duration_sum_s = models.FloatField(default=0)
    duration_hist = models.JSONField(default=dict)  # as CIRollup's, added up
    # The histogram's p50 and p95 buckets (rollups.quantile_bucket), stored:
    # a day-wide chart point is this one row, read without its histogram.
    p50_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    p95_bucket = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["day"]
        indexes = [
            models.Index(fields=["domain", "day"], name="cirollupday_domain_day")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "repository", "workflow", "day"],
                name="uniq_cirollupday_bucket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow} {self.day:%Y-%m-%d}: {self.passed}/{self.runs}"


class PerfRollup(models.Model):
    """Performance samples of one scenario reported in one hour."""

    domain = models.ForeignKey(
        "dashboard.Domain", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scenario = models.CharField(max_length=200)
    hour = models.DateTimeField()
    samples = models.PositiveIntegerField(default=0)
    p95_sum_ms = models.FloatField(default=0)
    p95_max_ms = models.FloatField(default=0)
    memory_max_mb = models.FloatField(null=True, blank=True)

    class Meta:
        db_table = "dashboard_perfrollup"
        ordering = ["hour"]
        indexes = [
            models.Index(fields=["domain", "hour"], name="perfrollup_domain_hour")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "scenario", "hour"], name="uniq_perfrollup_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scenario} {self.hour:%Y-%m-%d %H}h"


class PlanCostRollup(models.Model):
    """Query-plan total costs of one named query reported in one hour."""

    domain = models.ForeignKey(
        "dashboard.Domain", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    query_name = models.CharField(max_length=200)
    hour = models.DateTimeField()
    plans = models.PositiveIntegerField(default=0)
    cost_sum = models.FloatField(default=0)
    cost_max = models.FloatField(default=0)

    class Meta:
        db_table = "dashboard_plancostrollup"
        ordering = ["hour"]
        indexes = [
            models.Index(fields=["domain", "hour"], name="planrollup_domain_hour")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "query_name", "hour"], name="uniq_planrollup_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.query_name} {self.hour:%Y-%m-%d %H}h"


class IngestRollup(models.Model):
    """Webhook deliveries received in one hour; domain is empty for unmapped ones."""

    domain = models.ForeignKey(
        "dashboard.Domain",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    hour = models.DateTimeField()
    received = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    unmapped = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "dashboard_ingestrollup"
        ordering = ["hour"]
        indexes = [
            models.Index(fields=["domain", "hour"], name="ingestrollup_domain_hour")
        ]

    def __str__(self) -> str:
        return f"{self.domain_id or 'unmapped'} {self.hour:%Y-%m-%d %H}h"
