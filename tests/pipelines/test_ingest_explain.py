"""The ingestion tables' lists use their indexes at size: EXPLAIN on a seeded
table shows index scans, never a sequential scan of runs, results or deliveries."""

import datetime as dt

import pytest
from django.db import connection

from dashboard.models import OutboxState
from pipelines.ingest import selectors
from pipelines.models import Outcome, Run, TestReport, TestResult, WebhookDelivery
from tests.factories import DomainFactory, RepositoryFactory
from tests.support.explain import explain_cost, plan_node_types

pytestmark = pytest.mark.django_db

DOMAINS = 10
RUNS_PER_DOMAIN = 600
BASE = dt.datetime(2024, 2, 29, tzinfo=dt.UTC)


@pytest.fixture
def seeded():
    repos = []
    for d in range(DOMAINS):
        domain = DomainFactory(slug=f"scale-{d}")
        repos.append(RepositoryFactory(domain=domain, full_name=f"scale/repo-{d}"))
    runs = [
        Run(
            provider="github_actions",
            repository=repo,
            domain_id=repo.domain_id,
            external_id=str(i),
            head_sha=f"{i:040x}",
            branch="main" if i % 4 else f"feature/{i % 50}",
            workflow=("CI", "Lint", "Nightly")[i % 3],
            status="completed",
            conclusion="success" if i % 5 else "failure",
            started_at=BASE + dt.timedelta(minutes=i),
        )
        for repo in repos
        for i in range(RUNS_PER_DOMAIN)
    ]
    Run.objects.bulk_create(runs, batch_size=5_000)
    run = Run.objects.filter(repository=repos[0]).order_by("id").first()
    report = TestReport.objects.create(
        run=run, domain_id=run.domain_id, file="x.xml", sha256="0" * 64
    )
    others = list(Run.objects.filter(repository=repos[1]).order_by("id")[:200])
    reports = TestReport.objects.bulk_create(
        TestReport(run=r, domain_id=r.domain_id, file="y.xml", sha256="1" * 64)
        for r in others
    )
    TestResult.objects.bulk_create(
        (
            TestResult(
                report=rep,
                run_id=rep.run_id,
                test_key=f"{i:040x}",
                name=f"test_{i}",
                outcome=Outcome.FAILED if i % 50 == 0 else Outcome.PASSED,
            )
            for rep in [report, *reports]
            for i in range(100)
        ),
        batch_size=5_000,
    )
    WebhookDelivery.objects.bulk_create(
        (
            WebhookDelivery(
                delivery_id=f"d-{i}",
                event="push",
                domain_id=repos[i % DOMAINS].domain_id if i % 10 else None,
                body=b"{}",
                state=OutboxState.DONE,
            )
            for i in range(6_000)
        ),
        batch_size=5_000,
    )
    with connection.cursor() as cursor:
        for table in (
            "pipelines_run",
            "pipelines_testresult",
            "pipelines_webhookdelivery",
        ):
            cursor.execute(f"ANALYZE {table}")
    return repos, run


def page(queryset, ordering=("-started_at", "-id"), size=51):
    return queryset.order_by(*ordering)[:size]


def test_lists_use_their_indexes_never_a_seq_scan(seeded):
    """One seeded dataset, every list query of the ingestion pages and API."""
    repos, run = seeded
    domain = repos[3].domain
    for queryset in (
        page(selectors.runs_of(domain)),
        page(selectors.runs_of(domain, workflow="Lint")),
        page(selectors.api_runs(domain, repository=repos[3].full_name, branch="main")),
    ):
        nodes = plan_node_types(queryset)
        assert "Seq Scan on pipelines_run" not in nodes, nodes
        assert explain_cost(queryset) < 1_000

    for queryset in (
        selectors.failures_of(run),
        TestResult.objects.filter(run=run, outcome=Outcome.FAILED),
    ):
        nodes = plan_node_types(queryset)
        assert "Seq Scan on pipelines_testresult" not in nodes, nodes

    for queryset in (
        page(selectors.deliveries_of(repos[2].domain), ("-received_at", "-id")),
        page(selectors.deliveries_unmapped(), ("-received_at", "-id")),
    ):
        nodes = plan_node_types(queryset)
        assert "Seq Scan on pipelines_webhookdelivery" not in nodes, nodes
