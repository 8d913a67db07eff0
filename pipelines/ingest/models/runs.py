"""CI runs and their jobs, from GitHub Actions, GitHub checks or the generic CI API."""

from django.db import models

from dashboard.domains.models import Domain, Repository


class RunStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    QUEUED = "queued", "Queued"
    WAITING = "waiting", "Waiting"
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


# A run only moves forward along this order; see services.runs.is_newer.
STATUS_RANK: dict[str, int] = {
    RunStatus.REQUESTED: 0,
    RunStatus.QUEUED: 1,
    RunStatus.WAITING: 2,
    RunStatus.PENDING: 2,
    RunStatus.IN_PROGRESS: 3,
    RunStatus.COMPLETED: 4,
}


class Conclusion(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    NEUTRAL = "neutral", "Neutral"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped"
    TIMED_OUT = "timed_out", "Timed out"
    ACTION_REQUIRED = "action_required", "Action required"
    STALE = "stale", "Stale"
    STARTUP_FAILURE = "startup_failure", "Startup failure"


# When two reports carry the same status and time, the more severe conclusion
# wins, so the final state does not depend on the order deliveries arrive in.
CONCLUSION_SEVERITY: dict[str, int] = {
    "": 0,
    Conclusion.SUCCESS: 1,
    Conclusion.NEUTRAL: 2,
    Conclusion.SKIPPED: 3,
    Conclusion.STALE: 4,
    Conclusion.ACTION_REQUIRED: 5,
    Conclusion.CANCELLED: 6,
    Conclusion.TIMED_OUT: 7,
    Conclusion.STARTUP_FAILURE: 8,
    Conclusion.FAILURE: 9,
}


class Provider(models.TextChoices):
    GITHUB_ACTIONS = "github_actions", "GitHub Actions"
    GITHUB_CHECKS = "github_checks", "GitHub checks"


class Run(models.Model):
    """One attempt of one CI run: (provider, repository, external id, attempt)."""

    provider = models.CharField(max_length=40)
    repository = models.ForeignKey(
        Repository,
        on_delete=models.PROTECT,
        related_name="runs",
        db_index=False,  # run_commit_idx, run_repo_branch_idx lead with it
    )
    # run_domain_idx leads with it.
    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, related_name="runs", db_index=False
    )
    external_id = models.CharField(max_length=64)
    attempt = models.PositiveIntegerField(default=1)
    head_sha = models.CharField(max_length=64, blank=True)
    branch = models.CharField(max_length=255, blank=True)
    pull_request_number = models.PositiveIntegerField(null=True, blank=True)
    workflow = models.CharField(max_length=255, blank=True)
    event = models.CharField(max_length=64, blank=True)
    run_number = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    conclusion = models.CharField(max_length=20, blank=True)
    url = models.URLField(max_length=500, blank=True)
    # Never null, so the list's keyset order is total; queued runs take the
    # time they were first seen.
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # The provider's own last-change time: the tie-breaker for out-of-order events.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "repository", "external_id", "attempt"],
                name="uniq_run_identity",
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "-started_at", "-id"], name="run_domain_idx"
            ),
            models.Index(
                fields=["repository", "branch", "-started_at", "-id"],
                name="run_repo_branch_idx",
            ),
            models.Index(
                fields=["domain", "workflow", "-started_at", "-id"],
                name="run_domain_workflow_idx",
            ),
            models.Index(fields=["repository", "head_sha"], name="run_commit_idx"),
            # The rollup refresher folds again the runs changed since its last
            # pass (dashboard.board.rollups, Source.updated_field).
            models.Index(fields=["updated_at"], name="run_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow or self.provider} #{self.external_id}.{self.attempt}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse(
            "pipelines:run-detail", kwargs={"slug": self.domain.slug, "pk": self.pk}
        )

    @property
    def duration_seconds(self) -> float | None:
        if self.completed_at and self.started_at:
            return (self.completed_at - self.started_at).total_seconds()
        return None


class Job(models.Model):
    """A job of a run (a GitHub workflow job or check run)."""

    # uniq_job_identity leads with it.
    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, related_name="jobs", db_index=False
    )
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    conclusion = models.CharField(max_length=20, blank=True)
    runner_name = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "external_id"], name="uniq_job_identity"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.external_id
