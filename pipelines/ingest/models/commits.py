"""What GitHub tells us about commits and branches: pushes, pull requests,
deployments and the commit statuses other tools post."""

from django.db import models

from dashboard.domains.models import Domain, Repository


class PullRequest(models.Model):
    repository = models.ForeignKey(
        Repository,
        on_delete=models.PROTECT,
        related_name="pull_requests",
        db_index=False,  # uniq_pull_request leads with it
    )
    # pr_domain_idx leads with it.
    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=16)  # open | closed
    merged = models.BooleanField(default=False)
    head_sha = models.CharField(max_length=64, blank=True)
    head_ref = models.CharField(max_length=255, blank=True)
    base_ref = models.CharField(max_length=255, blank=True)
    author = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=500, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "number"], name="uniq_pull_request"
            )
        ]
        indexes = [models.Index(fields=["domain", "state"], name="pr_domain_idx")]

    def __str__(self) -> str:
        return f"{self.repository.full_name}#{self.number}"


class Push(models.Model):
    """One push, recorded once (its delivery is unique)."""

    repository = models.ForeignKey(
        Repository,
        on_delete=models.PROTECT,
        related_name="pushes",
        db_index=False,  # push_ref_idx leads with it
    )
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="+")
    delivery = models.OneToOneField(
        "pipelines.WebhookDelivery", on_delete=models.CASCADE, related_name="push"
    )
    ref = models.CharField(max_length=255)
    before_sha = models.CharField(max_length=64)
    after_sha = models.CharField(max_length=64)
    created = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    forced = models.BooleanField(default=False)
    commit_count = models.PositiveIntegerField(default=0)
    pusher = models.CharField(max_length=100, blank=True)
    pushed_at = models.DateTimeField()

    class Meta:
        ordering = ["-pushed_at", "-id"]
        indexes = [
            models.Index(
                fields=["repository", "ref", "-pushed_at"], name="push_ref_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.before_sha[:7]}..{self.after_sha[:7]}"


class Deployment(models.Model):
    repository = models.ForeignKey(
        Repository,
        on_delete=models.PROTECT,
        related_name="deployments",
        db_index=False,  # uniq_deployment leads with it
    )
    # deployment_env_idx leads with it.
    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    external_id = models.BigIntegerField()
    environment = models.CharField(max_length=255)
    sha = models.CharField(max_length=64)
    ref = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    creator = models.CharField(max_length=100, blank=True)
    # The newest deployment status seen; status ids only grow, so the highest id
    # is the latest whatever order the deliveries came in.
    state = models.CharField(max_length=16, default="pending")
    state_status_id = models.BigIntegerField(null=True, blank=True)
    environment_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "external_id"], name="uniq_deployment"
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "environment", "-created_at"],
                name="deployment_env_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.environment} {self.sha[:7]} {self.state}"


class ReportedStatus(models.Model):
    """The latest commit status per (repository, sha, context), as GitHub reports it."""

    repository = models.ForeignKey(
        Repository,
        on_delete=models.PROTECT,
        related_name="reported_statuses",
        db_index=False,  # uniq_reported_status leads with it
    )
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="+")
    sha = models.CharField(max_length=64)
    context = models.CharField(max_length=255)
    state = models.CharField(max_length=16)
    description = models.CharField(max_length=500, blank=True)
    target_url = models.URLField(max_length=500, blank=True)
    external_id = models.BigIntegerField()
    source_updated_at = models.DateTimeField()

    class Meta:
        ordering = ["context"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "sha", "context"], name="uniq_reported_status"
            )
        ]

    def __str__(self) -> str:
        return f"{self.context}: {self.state}"
