"""EXPLAIN total-cost budgets for the heavy dashboard queries on a seeded dataset.

The data comes from `seed_demo --scale small` (deterministic), followed by
ANALYZE, so the planner's costs are stable. A budget is about twice today's
cost: a missing index or a plan that turns into a Seq Scan blows through it.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from dashboard.models import Domain
from pipelines.models import (
    CIRollup,
    CIRollupDay,
    IngestRollup,
    PerfRollup,
    PlanCostRollup,
)
from tests.support.explain import explain_cost, plan_node_types

pytestmark = pytest.mark.django_db


def _queries(domain: Domain) -> dict[str, tuple]:
    """name -> (queryset, cost budget, what the plan must use: an index name, or
    "no Seq Scan on <table>" for the big tables whose indexes others own)."""
    from dashboard.board.panels.common import RANGES
    from dashboard.models import ExportJob
    from pipelines.gates.models import FlakyTest, GateVerdict
    from pipelines.ingest.exports import RUN_BATCH, export_rows, results_of_runs
    from pipelines.ingest.panels.ci_health import failing_runs
    from pipelines.models import Run

    now = timezone.now()
    since = now - timedelta(days=90)
    failing = failing_runs(domain.pk, RANGES["90d"]).order_by("-started_at", "-id")
    deep = failing.filter(
        Q(started_at__lt=now - timedelta(days=20))
        | Q(started_at=now - timedelta(days=20), id__lt=10**9)
    )
    head = (
        Run.objects.filter(
            repository_id=OuterRef("pk"), branch=OuterRef("default_branch")
        )
        .order_by("-started_at", "-id")
        .values("head_sha")[:1]
    )
    repos = domain.repositories.annotate(head_sha=Subquery(head))
    shas = list(
        Run.objects.filter(domain=domain).values_list("head_sha", flat=True)[:12]
    )
    verdicts = GateVerdict.objects.filter(
        domain=domain,
        repository_id__in=list(domain.repositories.values_list("id", flat=True)),
        sha__in=shas,
    )
    job = ExportJob(domain=domain, since=now - timedelta(days=7), until=now)
    job.kind = "runs"
    _, export_runs = export_rows(job)
    week = list(
        Run.objects.filter(domain=domain, started_at__gte=now - timedelta(days=7))
        .order_by("started_at", "id")
        .values_list("id", flat=True)[:RUN_BATCH]
    )
    assert len(week) > 50, "the seeded week should hold runs"
    return {
        "ci rollups, 90 days": (
            CIRollup.objects.filter(domain=domain, hour__gte=since),
            1300,
            "cirollup_domain_hour",
        ),
        "ci day rollups, 90 days": (
            CIRollupDay.objects.filter(domain=domain, day__gte=since),
            80,
            "cirollupday_domain_day",
        ),
        "perf rollups, 90 days": (
            PerfRollup.objects.filter(domain=domain, hour__gte=since),
            200,
            "perfrollup_domain_hour",
        ),
        "plan rollups, 90 days": (
            PlanCostRollup.objects.filter(domain=domain, hour__gte=since),
            100,
            "planrollup_domain_hour",
        ),
        # Unmapped deliveries (no domain) share the table; over a day the
        # (domain, hour) index wins even on the small dataset.
        "ingest rollups, 24 hours": (
            IngestRollup.objects.filter(
                Q(domain=domain) | Q(domain__isnull=True),
                hour__gte=now - timedelta(hours=24),
            ),
            100,
            "ingestrollup_domain_hour",
        ),
        "failing runs, first page": (failing[:11], 60, "run_domain_idx"),
        "failing runs, deep page": (deep[:11], 150, "run_domain_idx"),
        "gates: default-branch heads": (repos, 60, "run_repo_branch_idx"),
        "gates: verdicts of heads and PRs": (
            verdicts,
            250,
            "no Seq Scan on pipelines_gateverdict",
        ),
        "flaky top ten": (
            FlakyTest.objects.filter(domain=domain, last_seen_at__gte=since).order_by(
                "-flip_count", "-last_seen_at", "-id"
            )[:10],
            60,
            "no Seq Scan on pipelines_flakytest",
        ),
        # A range scan of run_domain_idx (domain, started_at): estimated 203 at
        # this size since the single-column domain index is gone (#14).
        "export runs, 7 days": (export_runs, 250, "no Seq Scan on pipelines_run"),
        "export test results, one batch of runs": (
            results_of_runs(week),
            7000,
            "no Seq Scan on pipelines_testresult",
        ),
    }


def _index_names(queryset) -> set[str]:
    from tests.support.explain import explain_plan

    found: set[str] = set()

    def walk(node: dict) -> None:
        if "Index Name" in node:
            found.add(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(explain_plan(queryset))
    return found


def _as_in_a_fresh_database():
    """seed_demo is deterministic from a fresh database. Earlier tests on this one
    left its sequences advanced (a rollback does not give ids back, and the seed's
    pseudo-random choices hash ids: which runs fail, for one) and its tables
    bloated with rolled-back rows (the planner's costs count pages). TRUNCATE in
    this test's transaction gives the tables new files and ids from 1 again, and
    the rollback after the test gives the old ones back."""
    from pipelines.management.commands.seed_demo import TABLES

    tables = ", ".join(["dashboard_domain", "dashboard_repository", *TABLES])
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def test_heavy_panel_queries_stay_within_their_cost_budgets():
    _as_in_a_fresh_database()
    call_command("seed_demo", scale="small", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    domain = Domain.objects.get(slug="demo-00")
    over, unindexed, report = [], [], []
    for name, (queryset, budget, index) in _queries(domain).items():
        cost = explain_cost(queryset)
        report.append(
            f"{name}: {cost:.0f} (budget {budget}) {sorted(_index_names(queryset))}"
        )
        if cost > budget:
            over.append(f"{name}: cost {cost:.0f} > budget {budget}")
        nodes = plan_node_types(queryset)
        if index.startswith("no Seq Scan on "):
            if index[3:] in nodes:
                unindexed.append(f"{name}: {index[3:]}; plan {nodes}")
        elif index not in _index_names(queryset):
            unindexed.append(f"{name}: {index} not used; plan {nodes}")
    print("\n".join(report))
    assert not unindexed, "\n".join(unindexed + report)
    assert not over, "\n".join(over + report)
