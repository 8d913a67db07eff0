"""The ingestion tables' lists use their indexes at size: EXPLAIN on a seeded
table shows index scans, never a sequential scan of runs, results or deliveries."""

import datetime as dt

import pytest
from django.db import connection

from dashboard.models import OutboxState
from pipelines.ingest import selectors
from pipelines.models import Outcome, Run, TestReport, TestResult, WebhookDelivery
from tests.factories import DomainFactory, RepositoryFactory
from tests.support.explain import explain_cost, plan_node_types, plan_nodes_of_sql

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


def _run_list_sql(client, url: str) -> str:
    """The runs query a page of the runs list sends (captured, parameters
    inlined by Django's debug cursor)."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    captures = [CaptureQueriesContext(connections[a]) for a in connections]
    for capture in captures:
        capture.__enter__()
    response = client.get(url)
    for capture in captures:
        capture.__exit__(None, None, None)
    assert response.status_code == 200
    (sql,) = [
        q["sql"]
        for capture in captures
        for q in capture.captured_queries
        if 'FROM "pipelines_run"' in q["sql"] and "LIMIT 51" in q["sql"]
    ]
    return sql


@pytest.mark.parametrize(
    ("query", "index"),
    [("", "run_domain_idx"), ("workflow=Lint&", "run_domain_workflow_idx")],
)
def test_deep_keyset_pages_start_at_the_cursor_on_the_index(
    seeded, client, settings, query, index
):
    """Page 10 of the runs list reads its 51 rows from the index, starting at
    the cursor: the cursor's time is an index condition (not a filter over every
    newer run), and nothing is sorted."""
    from dashboard.platform.pagination import _encode
    from tests.factories import UserFactory

    repos, _ = seeded
    domain = repos[3].domain
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    runs = Run.objects.filter(domain=domain)
    if query:
        runs = runs.filter(workflow="Lint")
    deep = runs.order_by("-started_at", "-id").values_list("started_at", "id")[150]
    cursor = _encode(list(deep))
    sql = _run_list_sql(client, f"/d/{domain.slug}/runs/?{query}cursor={cursor}")
    nodes = plan_nodes_of_sql(sql)
    scans = [n for n in nodes if n.get("Relation Name") == "pipelines_run"]
    assert len(scans) == 1, scans
    assert scans[0]["Node Type"] in ("Index Scan", "Index Only Scan"), scans[0]
    assert scans[0]["Index Name"] == index, scans[0]
    assert "started_at <=" in scans[0]["Index Cond"], scans[0]
    if not query:
        # The unfiltered list (the deep-page benchmark): rows come in the
        # index's order, nothing is sorted. (Filtered by workflow, the planner
        # may sort the few dozen rows the bounded scan returns at this size.)
        assert "Sort" not in {n["Node Type"] for n in nodes}, nodes[0]


def test_the_workflow_filter_reads_one_index_entry_per_name(seeded):
    """The runs page's workflow choices: a loose index scan (one probe per name
    on run_domain_workflow_idx), never a DISTINCT over all the domain's runs."""
    repos, _ = seeded
    domain = repos[3].domain
    assert selectors.workflows_of(domain) == ["CI", "Lint", "Nightly"]
    nodes = plan_nodes_of_sql(
        selectors.WORKFLOWS_SQL, {"domain": domain.pk, "limit": 100}
    )
    kinds = {n["Node Type"] for n in nodes}
    assert not kinds & {"Seq Scan", "Sort", "HashAggregate", "Unique"}, kinds
    indexes = {
        n.get("Index Name") for n in nodes if n.get("Relation Name") == "pipelines_run"
    }
    assert indexes == {"run_domain_workflow_idx"}, indexes
