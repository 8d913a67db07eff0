"""Budgets a domain sets, the gate verdicts judged against them, and flaky tests."""

from django.conf import settings
from django.db import models

from dashboard.domains.models import Domain, Repository


class Budget(models.Model):
    """What every budget has: the service it narrows to (blank: any) and who
    changed it last. The budgets document (PUT /api/v1/budgets) replaces them."""

    service = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class PerfBudget(Budget):
    """Performance limits for a domain, optionally narrowed to a service and/or
    a scenario (blank means "any"). The most specific budget applies."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="perf_budgets"
    )
    scenario = models.CharField(max_length=200, blank=True)
    p95_ms_max = models.FloatField(null=True, blank=True)
    memory_mb_max = models.FloatField(null=True, blank=True)
    # Largest allowed rise of p95 over the base branch's recent median, in %.
    max_regression_pct = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["service", "scenario", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "service", "scenario"], name="uniq_perf_budget"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain_id}:{self.service or '*'}/{self.scenario or '*'}"


class QueryPlanBudget(Budget):
    """The largest planner cost allowed for a named query (blank name: every
    query without its own budget), and tables it must not read by Seq Scan."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="query_plan_budgets"
    )
    query_name = models.CharField(max_length=200, blank=True)
    max_total_cost = models.FloatField(null=True, blank=True)
    no_seq_scan_tables = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["service", "query_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "service", "query_name"],
                name="uniq_query_plan_budget",
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain_id}:{self.service or '*'}/{self.query_name or '*'}"


class GateContext(models.TextChoices):
    TESTS = "controlplane/tests", "Tests"
    PERF = "controlplane/perf", "Performance"
    QUERY_PLANS = "controlplane/query-plans", "Query plans"
    # Judged by pipelines.pins (reviews of model/prompt changes), posted here.
    PIN_REVIEW = "controlplane/pin-review", "Pin review"


class GateState(models.TextChoices):
    # GitHub's commit status states, so a verdict is posted as it is stored.
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    PENDING = "pending", "Pending"
    ERROR = "error", "Error"


class GateVerdict(models.Model):
    """The current verdict of one gate for one commit; posted to GitHub as a
    commit status with the same context."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="gate_verdicts"
    )
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="gate_verdicts"
    )
    sha = models.CharField(max_length=64)
    context = models.CharField(max_length=40, choices=GateContext.choices)
    state = models.CharField(max_length=8, choices=GateState.choices)
    description = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    evaluated_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    # What GitHub last accepted for this verdict (blank: not posted yet).
    posted_state = models.CharField(max_length=8, blank=True)
    posted_description = models.CharField(max_length=500, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    post_error = models.TextField(blank=True)

    class Meta:
        ordering = ["context"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "sha", "context"], name="uniq_gate_verdict"
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "-changed_at", "-id"], name="gate_domain_idx"
            ),
            # GET /api/v1/gates/{sha} without ?repository=.
            models.Index(fields=["domain", "sha"], name="gate_commit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.context} {self.state} @ {self.sha[:7]}"

    @property
    def label(self) -> str:
        return GateContext(self.context).label if self.context in GateContext else ""

    @property
    def is_posted(self) -> bool:
        return (
            self.posted_state == self.state
            and self.posted_description == self.description
        )


class GateVerdictChange(models.Model):
    """Append-only history: one row each time a verdict's state or reason changed."""

    verdict = models.ForeignKey(
        GateVerdict, on_delete=models.CASCADE, related_name="changes"
    )
    state = models.CharField(max_length=8, choices=GateState.choices)
    description = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.verdict_id}: {self.state}"


class FlakyTest(models.Model):
    """A test that both failed and passed on the same commit, at least once."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="flaky_tests"
    )
    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="flaky_tests"
    )
    test_key = models.CharField(max_length=40)
    classname = models.CharField(max_length=500, blank=True)
    name = models.CharField(max_length=1000)
    # Commits on which it flipped (one per commit, however often it was re-run).
    flip_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_sha = models.CharField(max_length=64)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "test_key"], name="uniq_flaky_test"
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "-last_seen_at", "-id"], name="flaky_domain_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.classname}::{self.name}"


class FlakyOccurrence(models.Model):
    """One commit on which a flaky test both failed and passed."""

    flaky_test = models.ForeignKey(
        FlakyTest, on_delete=models.CASCADE, related_name="occurrences"
    )
    sha = models.CharField(max_length=64)
    failed = models.PositiveIntegerField()
    passed = models.PositiveIntegerField()
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["flaky_test", "sha"], name="uniq_flaky_occurrence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.flaky_test_id} @ {self.sha[:7]}"
