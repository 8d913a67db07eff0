"""Reads for CI ingestion, already restricted: by the token's domain (API) or by
a domain the user may browse (pages)."""

from datetime import datetime

from django.db import connections, router
from django.db.models import Count, Q, QuerySet, Sum

from dashboard.domains.models import Domain, PermissionDenial
from dashboard.platform.models import OutboxState
from pipelines.ingest.models import (
    Job,
    Outcome,
    PerfSample,
    QueryPlan,
    Run,
    TestReport,
    TestResult,
    WebhookDelivery,
)

FAILURES_SHOWN = 200


def api_runs(
    domain: Domain, *, repository: str = "", branch: str = ""
) -> QuerySet[Run]:
    runs = Run.objects.filter(domain=domain).select_related("repository")
    if repository:
        runs = runs.filter(repository__full_name__iexact=repository)
    if branch:
        runs = runs.filter(branch=branch)
    return runs


# What the runs page shows of a run (and its keyset: started_at, id).
RUN_LIST_FIELDS = (
    "workflow",
    "provider",
    "run_number",
    "external_id",
    "attempt",
    "repository__full_name",
    "branch",
    "pull_request_number",
    "head_sha",
    "status",
    "conclusion",
    "started_at",
    "completed_at",
)


def runs_of(
    domain: Domain,
    *,
    branch: str = "",
    status: str = "",
    workflow: str = "",
    repository: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Run]:
    """The domain's runs for the runs page, filtered, as rows of id and
    RUN_LIST_FIELDS (dicts: a page builds no model instances). `status` is a
    run status or a conclusion (success, failure, …), as people say either;
    `since` and `until` bound the start, [since, until) (a chart point's
    bucket)."""
    runs = Run.objects.filter(domain=domain).values("id", *RUN_LIST_FIELDS)
    if since is not None:
        runs = runs.filter(started_at__gte=since)
    if until is not None:
        runs = runs.filter(started_at__lt=until)
    if branch:
        runs = runs.filter(branch=branch)
    if workflow:
        runs = runs.filter(workflow=workflow)
    if repository:
        runs = runs.filter(repository__full_name__iexact=repository)
    if status:
        runs = runs.filter(Q(status=status) | Q(conclusion=status))
    return runs


# The distinct workflows of a domain by a loose index scan: one probe of
# run_domain_workflow_idx per name (the next name after the last one), instead
# of a DISTINCT over every run of the domain (10,000 of them at the default
# scale, for three names).
WORKFLOWS_SQL = """
WITH RECURSIVE names(workflow) AS (
    (SELECT workflow FROM pipelines_run WHERE domain_id = %(domain)s
     ORDER BY workflow LIMIT 1)
    UNION ALL
    SELECT (SELECT r.workflow FROM pipelines_run r
            WHERE r.domain_id = %(domain)s AND r.workflow > names.workflow
            ORDER BY r.workflow LIMIT 1)
    FROM names WHERE names.workflow IS NOT NULL
)
SELECT workflow FROM names WHERE workflow IS NOT NULL LIMIT %(limit)s
"""


def workflows_of(domain: Domain, limit: int = 100) -> list[str]:
    """Workflow names for the filter, in order (bounded; one index probe each)."""
    connection = connections[router.db_for_read(Run)]
    if connection.vendor != "postgresql":  # SQLite under a bare `make run`
        names = Run.objects.filter(domain=domain).values_list("workflow", flat=True)
        return list(names.order_by("workflow").distinct()[:limit])
    with connection.cursor() as cursor:
        cursor.execute(WORKFLOWS_SQL, {"domain": domain.pk, "limit": limit})
        return [name for (name,) in cursor.fetchall()]


def run_of(domain: Domain, pk: int) -> Run | None:
    runs = Run.objects.filter(domain=domain, pk=pk)
    return runs.select_related("repository", "domain").first()


def jobs_of(run: Run) -> QuerySet[Job]:
    return Job.objects.filter(run=run).order_by("started_at", "id")


def reports_of(run: Run) -> QuerySet[TestReport]:
    return TestReport.objects.filter(run=run).order_by("-received_at", "-id")


def run_test_summary(run: Run) -> dict:
    """Totals over the run's parsed reports (one query)."""
    totals = TestReport.objects.filter(run=run, state=OutboxState.DONE).aggregate(
        reports=Count("id"),
        tests=Sum("tests"),
        failures=Sum("failures"),
        errors=Sum("errors"),
        skipped=Sum("skipped"),
    )
    summary = {k: v or 0 for k, v in totals.items()}
    summary["passed"] = (
        summary["tests"] - summary["failures"] - summary["errors"] - summary["skipped"]
    )
    return summary


def failures_of(run: Run, limit: int = FAILURES_SHOWN) -> QuerySet[TestResult]:
    return (
        TestResult.objects.filter(run=run, outcome__in=[Outcome.FAILED, Outcome.ERROR])
        .only(
            "id",
            "suite",
            "classname",
            "name",
            "file",
            "line",
            "outcome",
            "duration_seconds",
            "message",
            "details",
        )
        .order_by("id")[:limit]
    )


def deliveries_of(domain: Domain) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(domain=domain)
        .defer("body")
        .select_related("domain")
    )


def deliveries_unmapped() -> QuerySet[WebhookDelivery]:
    """Deliveries no domain claims (staff only): unmapped repositories, events
    we do not process, and those not yet processed."""
    return (
        WebhookDelivery.objects.filter(domain__isnull=True)
        .defer("body")
        .select_related("domain")
    )


def signature_refusals(limit: int = 20) -> list[PermissionDenial]:
    """The latest webhook deliveries refused for their signature (staff only)."""
    from pipelines.ingest.services.webhooks import SIGNATURE_DENIAL_ACTION

    return list(
        PermissionDenial.objects.filter(action=SIGNATURE_DENIAL_ACTION).order_by(
            "-created_at", "-id"
        )[:limit]
    )


# --- What CI measured: performance samples and query plans ------------------------
EVIDENCE_SHOWN = 200


def _measured(
    queryset: QuerySet, since: datetime | None, until: datetime | None
) -> QuerySet:
    """Rows measured in [since, until): the time the dashboard's charts draw."""
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    if until is not None:
        queryset = queryset.filter(created_at__lt=until)
    return queryset


def perf_samples_of(
    domain: Domain,
    *,
    scenario: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[PerfSample]:
    """The domain's performance samples (of one scenario), measured in the range:
    what one point of the performance charts stands for."""
    samples = PerfSample.objects.filter(domain=domain).select_related("repository")
    if scenario:
        samples = samples.filter(scenario=scenario)
    return _measured(samples, since, until)


def query_plans_of(
    domain: Domain,
    *,
    query_name: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[QueryPlan]:
    """The domain's query plans (of one named query), measured in the range,
    without the plan documents themselves."""
    plans = (
        QueryPlan.objects.filter(domain=domain)
        .select_related("repository")
        .defer("plan")
    )
    if query_name:
        plans = plans.filter(query_name=query_name)
    return _measured(plans, since, until)


def the_one_commit(evidence: QuerySet) -> tuple[str, str] | None:
    """(repository full name, sha) when every row of `evidence` measured the same
    commit; None when there are none or several (one query, at most two rows)."""
    commits = list(
        evidence.order_by()
        .values_list("repository__full_name", "commit_sha")
        .distinct()[:2]
    )
    return commits[0] if len(commits) == 1 else None


def evidence_of_commit(
    domain: Domain, sha: str, repository=None
) -> tuple[list[PerfSample], list[QueryPlan]]:
    """What CI measured at one commit of the domain (one repository's, when
    given): its performance samples and query plans, each by its unique index
    (repository, commit); the commit page shows them beside the verdicts."""
    repositories = (
        [repository.pk] if repository is not None else domain.repositories.values("pk")
    )
    by_commit = {"repository_id__in": repositories, "commit_sha": sha}
    samples = list(
        PerfSample.objects.filter(domain=domain, **by_commit)
        .select_related("repository")
        .order_by("repository__full_name", "scenario", "service")[:EVIDENCE_SHOWN]
    )
    plans = list(
        QueryPlan.objects.filter(domain=domain, **by_commit)
        .select_related("repository")
        .defer("plan")
        .order_by("repository__full_name", "query_name", "service")[:EVIDENCE_SHOWN]
    )
    return samples, plans
