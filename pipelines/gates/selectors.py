"""Reads for budgets, gate verdicts and flaky tests, restricted to a domain the
caller may see (the caller restricts the domain first: dashboard.domains.selectors)."""

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from dashboard.domains.models import Domain, Repository
from pipelines.gates.models import FlakyTest, GateVerdict, PerfBudget, QueryPlanBudget
from pipelines.ingest.models import Outcome, TestResult

FAILING = (Outcome.FAILED, Outcome.ERROR)


def perf_budgets_of(domain: Domain) -> QuerySet[PerfBudget]:
    return PerfBudget.objects.filter(domain=domain).select_related("updated_by")


def query_plan_budgets_of(domain: Domain) -> QuerySet[QueryPlanBudget]:
    return QueryPlanBudget.objects.filter(domain=domain).select_related("updated_by")


def repository_of(domain: Domain, full_name: str) -> Repository | None:
    """The domain's repository by OWNER/NAME (GitHub names are case-insensitive)."""
    return domain.repositories.filter(full_name__iexact=full_name).first()


def verdicts_for_commit(
    domain: Domain, sha: str, repository: Repository | None = None
) -> QuerySet[GateVerdict]:
    """Every verdict of a commit in the domain (one repository's, when given)."""
    qs = GateVerdict.objects.filter(domain=domain, sha=sha).select_related("repository")
    if repository is not None:
        qs = qs.filter(repository=repository)
    return qs.order_by("repository__full_name", "context")


def latest_verdicts(domain: Domain) -> QuerySet[GateVerdict]:
    """The domain's verdicts, most recently changed first (page with keyset_page)."""
    return GateVerdict.objects.filter(domain=domain).select_related("repository")


def flaky_tests_of(domain: Domain) -> QuerySet[FlakyTest]:
    """The domain's flaky tests; page them with keyset_page on
    ("-last_seen_at", "-id"), which flaky_domain_idx serves."""
    return FlakyTest.objects.filter(domain=domain).select_related("repository")


def commit_test_outcomes(repository_id: int, sha: str) -> list[dict[str, Any]]:
    """Per test of the commit (across every run and attempt): failures, passes,
    skips. One aggregate query."""
    return list(
        TestResult.objects.using("default")
        .filter(run__repository_id=repository_id, run__head_sha=sha)
        .values("test_key")
        .annotate(
            failed=Count("id", filter=Q(outcome__in=FAILING)),
            passed=Count("id", filter=Q(outcome=Outcome.PASSED)),
            skipped=Count("id", filter=Q(outcome=Outcome.SKIPPED)),
            classname=Max("classname"),
            name=Max("name"),
        )
        .order_by("test_key")
    )
