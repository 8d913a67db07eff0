"""Performance samples reported by CI for a commit and scenario."""

from django.db import models

from dashboard.domains.models import Domain, Repository
from pipelines.ingest.models.evidence import CommitEvidence


class PerfSample(CommitEvidence):
    """Latency percentiles and peak memory of one scenario at one commit.

    One row per (repository, commit, service, scenario, pin, pin version): a CI
    re-run reports the measurement again and replaces it rather than counting
    it twice.
    """

    domain = models.ForeignKey(
        Domain,
        on_delete=models.CASCADE,
        related_name="perf_samples",
        db_index=False,  # perf_domain_idx leads with it
    )
    repository = models.ForeignKey(
        Repository,
        on_delete=models.PROTECT,
        related_name="perf_samples",
        db_index=False,  # perf_branch_idx leads with it
    )
    scenario = models.CharField(max_length=200)
    base_branch = models.CharField(max_length=255, blank=True)
    p50_ms = models.FloatField()
    p95_ms = models.FloatField()
    p99_ms = models.FloatField()
    peak_memory_mb = models.FloatField(null=True, blank=True)
    sample_count = models.PositiveIntegerField()
    # The model or prompt pin the scenario ran with ("" = not tagged): a
    # rollout's stable and candidate versions are measured side by side.
    pin_id = models.CharField(max_length=100, blank=True, default="", db_default="")
    pin_version = models.CharField(max_length=64, blank=True, default="", db_default="")
    run = models.ForeignKey(
        "pipelines.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="perf_samples",
    )

    class Meta(CommitEvidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "repository",
                    "commit_sha",
                    "service",
                    "scenario",
                    "pin_id",
                    "pin_version",
                ],
                name="uniq_perf_sample",
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "-created_at", "-id"], name="perf_domain_idx"
            ),
            # The base branch's recent median for regression gates.
            models.Index(
                fields=["repository", "scenario", "branch", "-created_at"],
                name="perf_branch_idx",
            ),
            # A pin's samples during its rollout; only tagged samples are in it.
            models.Index(
                fields=["repository", "pin_id", "created_at"],
                condition=~models.Q(pin_id=""),
                name="perf_pin_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scenario} @ {self.commit_sha[:7]}: p95 {self.p95_ms} ms"
