"""The dashboard's own tables: hourly rollups the panels read, and CSV exports.

Rollups are rebuilt per (domain, hour) by dashboard.board.rollups from the raw CI tables,
so a panel reads a few hundred small rows instead of scanning years of history.
"""

from django.conf import settings
from django.db import models

from dashboard.platform.models import OutboxRow


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
    # Counts per bucket of dashboard.board.rollups.DURATION_BOUNDS_S: hours merge by
    # adding their histograms, so p50/p95 over any range need no raw rows.
    duration_hist = models.JSONField(default=list)

    class Meta:
        ordering = ["hour"]
        indexes = [models.Index(fields=["domain", "hour"], name="cirollup_domain_hour")]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "repository", "workflow", "hour"],
                name="uniq_cirollup_bucket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workflow} {self.hour:%Y-%m-%d %H}h: {self.passed}/{self.runs}"


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
        ordering = ["hour"]
        indexes = [
            models.Index(fields=["domain", "hour"], name="ingestrollup_domain_hour")
        ]

    def __str__(self) -> str:
        return f"{self.domain_id or 'unmapped'} {self.hour:%Y-%m-%d %H}h"


class RollupWatermark(models.Model):
    """How far the incremental refresher has read, per rollup; also its lock row."""

    name = models.CharField(max_length=50, unique=True)
    # The highest source primary key already folded in: new rows are found by pk.
    last_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.refreshed_at}"


class ExportKind(models.TextChoices):
    RUNS = "runs", "CI runs"
    TEST_RESULTS = "test_results", "Test results"


class ExportJob(OutboxRow):
    """A CSV export requested from the dashboard, written by a worker to MEDIA_ROOT.

    An outbox row: if the broker was down when it was requested, the sweeper
    enqueues it again. While writing, the task moves `enqueued_at` forward as a
    heartbeat so a long export is never taken for a lost one.
    """

    outbox_task_name = "dashboard.export_csv"

    domain = models.ForeignKey(
        "dashboard.Domain", on_delete=models.CASCADE, related_name="exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ExportKind.choices)
    since = models.DateTimeField()
    until = models.DateTimeField()
    excel_bom = models.BooleanField(default=False)
    rows_estimated = models.PositiveBigIntegerField(default=0)
    rows_written = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["domain", "-received_at", "-id"])]

    def __str__(self) -> str:
        return (
            f"export {self.pk} {self.kind} {self.since:%Y-%m-%d}…{self.until:%Y-%m-%d}"
        )

    @property
    def progress_percent(self) -> int:
        if self.state == "done":
            return 100
        if not self.rows_estimated:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_estimated))
