"""JUnit reports (kept raw, parsed by a worker) and the test results in them."""

from django.db import models

from dashboard.domains.models import Domain
from dashboard.platform.models import OutboxRow


class TestReport(OutboxRow):
    """One uploaded JUnit XML file. The file is stored before we answer 202; a
    worker parses it (the outbox sweeper re-enqueues it if that never happens)."""

    outbox_task_name = "pipelines.parse_junit"
    __test__ = False  # not a pytest class, despite the name

    run = models.ForeignKey(
        "pipelines.Run",
        on_delete=models.CASCADE,
        related_name="reports",
        db_index=False,  # report_run_idx leads with it
    )
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="junit/%Y/%m/%d/", max_length=300)
    filename = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # Counts, filled once parsed.
    suites = models.PositiveIntegerField(null=True, blank=True)
    tests = models.PositiveIntegerField(null=True, blank=True)
    failures = models.PositiveIntegerField(null=True, blank=True)
    errors = models.PositiveIntegerField(null=True, blank=True)
    skipped = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["run", "-received_at"], name="report_run_idx"),
            models.Index(
                fields=["enqueued_at"],
                condition=models.Q(state__in=["pending", "processing"]),
                name="report_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.filename or 'junit.xml'})"

    @property
    def passed(self) -> int | None:
        if self.tests is None:
            return None
        return (
            self.tests - (self.failures or 0) - (self.errors or 0) - (self.skipped or 0)
        )


class Outcome(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Skipped"


class TestResult(models.Model):
    """One testcase of one report. Texts are bounded; passing tests keep none."""

    __test__ = False  # not a pytest class, despite the name

    # Neither key is a database constraint: PostgreSQL checks one with a query
    # per row, which cost as much as a report's COPY itself. Statement triggers
    # (pipelines/0011) check each statement's rows at once instead: a result
    # names an existing report and that report's run, and a report with
    # results is not deleted. Deletes still cascade (on_delete, in Django).
    report = models.ForeignKey(
        TestReport,
        on_delete=models.CASCADE,
        related_name="results",
        db_index=False,  # result_report_idx is this index
        db_constraint=False,
    )
    run = models.ForeignKey(
        "pipelines.Run",
        on_delete=models.CASCADE,
        related_name="test_results",
        db_index=False,  # result_run_outcome_idx leads with it
        db_constraint=False,
    )
    # sha1 of "classname::name": the identity flaky-test detection groups on.
    test_key = models.CharField(max_length=40)
    suite = models.CharField(max_length=500, blank=True)
    classname = models.CharField(max_length=500, blank=True)
    name = models.CharField(max_length=1000)
    file = models.CharField(max_length=500, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    duration_seconds = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    details = models.TextField(blank=True)
    system_out = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "outcome"], name="result_run_outcome_idx"),
            models.Index(fields=["report"], name="result_report_idx"),
            # No index on test_key: every reader of test_key (the flaky tests)
            # reads a commit's runs' results by result_run_outcome_idx. One
            # (test_key, run) cost a random B-tree insert per result:
            # pipelines/0015.
        ]

    def __str__(self) -> str:
        return f"{self.classname}::{self.name} {self.outcome}"
