"""Reads for schema drift, restricted to a domain."""

from django.db.models import QuerySet

from dashboard.domains.models import Domain
from pipelines.drift.models import (
    DriftProof,
    DriftPullRequest,
    SchemaDrift,
    SchemaTarget,
)


def targets_of(domain: Domain) -> QuerySet[SchemaTarget]:
    return SchemaTarget.objects.filter(domain=domain).order_by("name")


def drift_of(domain: Domain, name: str) -> SchemaDrift | None:
    return (
        SchemaDrift.objects.select_related("target", "graph__repository", "live")
        .filter(domain=domain, target__name=name)
        .first()
    )


def proofs_of(target: SchemaTarget) -> QuerySet[DriftProof]:
    return DriftProof.objects.filter(target=target).order_by("-started_at", "-id")


def pull_of(target: SchemaTarget) -> DriftPullRequest | None:
    """The target's latest pull request (open, or the last closed one)."""
    return (
        DriftPullRequest.objects.filter(target=target)
        .order_by("-created_at", "-id")
        .first()
    )
