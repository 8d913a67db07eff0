"""Factories for the data gates judge: runs, JUnit results, perf samples, plans."""

import hashlib
import itertools

import factory
from django.utils import timezone

from pipelines.models import PerfSample, QueryPlan, Run, TestReport, TestResult
from tests.factories import RepositoryFactory

_ids = itertools.count(1)


def sha_for(n: int | str) -> str:
    return hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest()


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    provider = "github_actions"
    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    external_id = factory.Sequence(lambda n: str(9_000_000 + n))
    attempt = 1
    head_sha = factory.Sequence(sha_for)
    branch = "feature/ünïcode-✓"
    workflow = "CI"
    status = "completed"
    conclusion = "success"
    started_at = factory.LazyFunction(timezone.now)


class TestReportFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestReport

    run = factory.SubFactory(RunFactory)
    domain = factory.LazyAttribute(lambda o: o.run.domain)
    file = "junit/2024/02/29/report.xml"
    filename = "report.xml"
    sha256 = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest())
    state = "done"


class TestResultFactory(factory.django.DjangoModelFactory):
    __test__ = False

    class Meta:
        model = TestResult

    report = factory.SubFactory(TestReportFactory)
    run = factory.LazyAttribute(lambda o: o.report.run)
    classname = "tests.test_paiements.TestRemboursement"
    name = factory.Sequence(lambda n: f"test_ünïcode_{n}")
    test_key = factory.LazyAttribute(
        lambda o: hashlib.sha1(
            f"{o.classname}::{o.name}".encode(), usedforsecurity=False
        ).hexdigest()
    )
    outcome = "passed"


class PerfSampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PerfSample

    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    scenario = "checkout"
    commit_sha = factory.Sequence(sha_for)
    branch = "main"
    p50_ms = 100.0
    p95_ms = 200.0
    p99_ms = 300.0
    peak_memory_mb = 256.0
    sample_count = 1000


class QueryPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueryPlan

    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    query_name = "orders_by_customer"
    commit_sha = factory.Sequence(sha_for)
    plan = factory.LazyAttribute(
        lambda o: [{"Plan": {"Node Type": "Seq Scan", "Total Cost": o.total_cost}}]
    )
    startup_cost = 0.0
    total_cost = 1000.0
    nodes = factory.LazyAttribute(
        lambda o: sorted([["Seq Scan", r] for r in o.seq_scan_relations])
    )
    seq_scan_relations = factory.LazyFunction(list)


def results_for(run, outcomes: dict[str, str], report=None):
    """One TestResult per (test name → outcome) in one report of `run`."""
    report = report or TestReportFactory(run=run)
    return [
        TestResultFactory(report=report, run=run, name=name, outcome=outcome)
        for name, outcome in outcomes.items()
    ]
