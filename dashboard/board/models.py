"""The dashboard's own tables: the rollup refresher's watermarks, and CSV exports."""

from django.conf import settings
from django.db import models

from dashboard.platform.models import OutboxRow


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
