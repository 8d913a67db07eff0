"""Query plans (EXPLAIN (FORMAT JSON)) reported by CI for a named query at a commit."""

from django.db import models

from dashboard.domains.models import Domain, Repository
from pipelines.ingest.models.evidence import CommitEvidence


class QueryPlan(CommitEvidence):
    """One plan; the cost and the (node type, relation) set are extracted on
    ingest so gates compare numbers, not documents."""

    domain = models.ForeignKey(
        Domain,
        on_delete=models.CASCADE,
        related_name="query_plans",
        db_index=False,  # plan_domain_idx leads with it
    )
    repository = models.ForeignKey(
        Repository,
        on_delete=models.PROTECT,
        related_name="query_plans",
        db_index=False,  # plan_query_idx leads with it
    )
    query_name = models.CharField(max_length=200)
    plan = models.JSONField()
    analyzed = models.BooleanField(default=False)
    buffers = models.BooleanField(default=False)
    startup_cost = models.FloatField()
    total_cost = models.FloatField()
    plan_rows = models.FloatField(null=True, blank=True)
    actual_total_time_ms = models.FloatField(null=True, blank=True)
    execution_time_ms = models.FloatField(null=True, blank=True)
    # Sorted [[node type, relation or ""], …], e.g. [["Seq Scan", "orders"]].
    nodes = models.JSONField(default=list)
    # Relations read by a sequential scan: what "no seq scan on X" budgets check.
    seq_scan_relations = models.JSONField(default=list)

    class Meta(CommitEvidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "commit_sha", "service", "query_name"],
                name="uniq_query_plan",
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "-created_at", "-id"], name="plan_domain_idx"
            ),
            models.Index(
                fields=["repository", "query_name", "branch", "-created_at"],
                name="plan_query_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.query_name} @ {self.commit_sha[:7]}: cost {self.total_cost}"
