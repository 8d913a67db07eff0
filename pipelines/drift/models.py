"""Schema drift: targets (live databases), the schemas posted or read for them,
each target's current drift, the proofs of its migration and its pull request."""

from django.db import models
from django.db.models import Q

from dashboard.domains.models import Domain, Repository


class SchemaTarget(models.Model):
    """A live database schema the control plane compares entity graphs with.

    The DSN is never stored: `dsn_env` names the environment variable holding
    it (blank: the live schema only comes as posted snapshots)."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="schema_targets"
    )
    name = models.SlugField(max_length=50)
    dsn_env = models.CharField(max_length=100, blank=True)
    schema_name = models.CharField(max_length=63, default="public")
    # Destructive steps (drop table/column, lossy type changes) are written
    # commented out unless this is on.
    allow_destructive = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    introspected_at = models.DateTimeField(null=True, blank=True)
    introspect_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "name"], name="uniq_schema_target"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SchemaSource(models.TextChoices):
    GRAPH = "graph", "Entity graph"
    SNAPSHOT = "snapshot", "Snapshot"
    INTROSPECTION = "introspection", "Introspection"


class SchemaDocument(models.Model):
    """One schema in its normal form (pipelines/drift/schema.py): an entity graph
    or snapshot posted for a commit, or what introspection read."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="schema_documents"
    )
    target = models.ForeignKey(
        SchemaTarget, on_delete=models.CASCADE, related_name="documents"
    )
    source = models.CharField(max_length=16, choices=SchemaSource.choices)
    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commit_sha = models.CharField(max_length=64, blank=True)
    schema = models.JSONField()
    digest = models.CharField(max_length=64)  # sha256 of the normal form
    warnings = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Posted documents are idempotent per (target, commit).
            models.UniqueConstraint(
                fields=["target", "source", "commit_sha"],
                condition=~Q(source="introspection"),
                name="uniq_schema_document",
            )
        ]
        indexes = [
            models.Index(
                fields=["target", "source", "-received_at", "-id"],
                name="schema_doc_latest_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.source} {self.commit_sha[:7]}"


class ProofState(models.TextChoices):
    NONE = "", "Not proven"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class SchemaDrift(models.Model):
    """A target's current drift: the latest graph against the latest live schema."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="schema_drifts"
    )
    target = models.OneToOneField(
        SchemaTarget, on_delete=models.CASCADE, related_name="drift"
    )
    graph = models.ForeignKey(
        SchemaDocument, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    live = models.ForeignKey(
        SchemaDocument, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    fingerprint = models.CharField(max_length=64, blank=True)  # "": no drift
    changes = models.JSONField(default=list, blank=True)
    risk = models.CharField(max_length=12, blank=True)  # the worst change's
    additive = models.PositiveIntegerField(default=0)
    tightening = models.PositiveIntegerField(default=0)
    destructive = models.PositiveIntegerField(default=0)
    migration = models.JSONField(default=dict, blank=True)  # sql.Migration.as_json
    sql_up = models.TextField(blank=True)
    sql_down = models.TextField(blank=True)
    checked_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    proof_state = models.CharField(
        max_length=8, choices=ProofState.choices, blank=True, default=""
    )
    # The commit status `controlplane/schema-drift` last posted (on graph's commit).
    status_posted = models.CharField(max_length=200, blank=True)
    status_error = models.TextField(blank=True)

    class Meta:
        ordering = ["target__name"]

    def __str__(self) -> str:
        return f"{self.target_id}: {self.fingerprint[:8] or 'no drift'}"

    @property
    def fingerprint8(self) -> str:
        return self.fingerprint[:8]


class DriftProof(models.Model):
    """One run of the ephemeral proof of a drift's migration: every step timed."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="drift_proofs"
    )
    target = models.ForeignKey(
        SchemaTarget, on_delete=models.CASCADE, related_name="proofs"
    )
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=8, choices=ProofState.choices)
    # [{"step", "ok", "ms", "detail"}], in the order they ran
    steps = models.JSONField(default=list, blank=True)
    failed_step = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["target", "fingerprint"], name="drift_proof_idx")
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.fingerprint[:8]} {self.state}"

    @property
    def total_ms(self) -> float:
        return round(sum(s.get("ms", 0) for s in self.steps), 1)


class PullState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    MERGED = "merged", "Merged"


class DriftPullRequest(models.Model):
    """The pull request of a drift. One per target is open at a time; its branch
    is named after the fingerprint it was opened for, later drifts update it."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="drift_pull_requests"
    )
    target = models.ForeignKey(
        SchemaTarget, on_delete=models.CASCADE, related_name="pull_requests"
    )
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="drift_pull_requests"
    )
    branch = models.CharField(max_length=255)
    opened_fingerprint = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)  # what the branch holds now
    number = models.PositiveIntegerField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    state = models.CharField(max_length=8, choices=PullState.choices)
    our_head_sha = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True)
    # A person pushed to the branch: we never force-push over them again.
    human_pushed = models.BooleanField(default=False)
    # The drift we last said (in a comment) the branch no longer matches.
    noted_fingerprint = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "opened_fingerprint"], name="uniq_drift_pull"
            ),
            models.UniqueConstraint(
                fields=["target"],
                condition=Q(state="open"),
                name="one_open_drift_pull",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.branch} #{self.number or '?'}"


class MigrationOutput(models.TextChoices):
    SQL = "sql", "SQL file"
    DJANGO = "django", "Django migration (RunSQL)"


class DriftRepositorySettings(models.Model):
    """Where a repository wants the drift migrations, and in what form."""

    repository = models.OneToOneField(
        Repository, on_delete=models.CASCADE, related_name="drift_settings"
    )
    migrations_folder = models.CharField(
        max_length=255, default="migrations/controlplane"
    )
    output = models.CharField(
        max_length=8, choices=MigrationOutput.choices, default=MigrationOutput.SQL
    )

    def __str__(self) -> str:
        return f"{self.repository_id}: {self.migrations_folder}"
