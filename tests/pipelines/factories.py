"""Factories for the pipelines models: runs, jobs, JUnit reports and results, perf
samples, query plans, webhook deliveries; and helpers for a commit's evidence.

Valid-but-weird like tests/factories.py: Unicode branches and test names,
leap-day and DST-edge start times, a different workflow and conclusion per run.
Defaults a test depends on (the gates' "checkout" scenario, the
"orders_by_customer" query, a test_key derived from the test's name) are kept
as they are; a test that depends on any other value passes it explicitly.
"""

import datetime as dt
import hashlib
import itertools

import factory

from dashboard.models import OutboxState
from pipelines.models import (
    Job,
    Outcome,
    PerfSample,
    QueryPlan,
    Run,
    RunStatus,
    TestReport,
    TestResult,
    WebhookDelivery,
)
from tests.factories import EDGE_TIMES, RepositoryFactory


def sha_for(n: int | str) -> str:
    """A commit SHA (40 hex digits) named by `n`: the same `n`, the same SHA."""
    return hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest()


# One stream for every factory: a default run, perf sample and query plan never
# share a commit by accident (a test that wants them on one commit says so).
_shas = (sha_for(f"factory commit {i}") for i in itertools.count())


def _next_sha() -> str:
    return next(_shas)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    provider = "github_actions"
    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    external_id = factory.Sequence(lambda n: str(900_000 + n))
    attempt = 1
    head_sha = factory.LazyFunction(_next_sha)
    branch = factory.Iterator(["main", "feature/ünïcode-☃", "release/2024-02-29"])
    workflow = factory.Iterator(["CI", "Nightly perf", "Lint"])
    status = RunStatus.COMPLETED
    conclusion = factory.Iterator(["success", "failure", "cancelled"])
    started_at = factory.Sequence(
        lambda n: EDGE_TIMES[n % len(EDGE_TIMES)] + dt.timedelta(minutes=n)
    )
    completed_at = factory.LazyAttribute(
        lambda o: o.started_at + dt.timedelta(seconds=95)
    )


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    run = factory.SubFactory(RunFactory)
    external_id = factory.Sequence(lambda n: str(70_000 + n))
    name = factory.Sequence(lambda n: f"test (py3.{n % 4 + 10}) — Ünïcode")
    status = RunStatus.COMPLETED
    conclusion = "success"


JUNIT_XML = b"<testsuite/>"


class _JUnitFactory(factory.django.DjangoModelFactory):
    """Reports and results: named like test classes, which pytest must not collect."""

    class Meta:
        abstract = True

    __test__ = False


class TestReportFactory(_JUnitFactory):
    class Meta:
        model = TestReport

    run = factory.SubFactory(RunFactory)
    domain = factory.LazyAttribute(lambda o: o.run.domain)
    file = factory.django.FileField(filename="junit.xml", data=JUNIT_XML)
    filename = "junit.xml"
    sha256 = hashlib.sha256(JUNIT_XML).hexdigest()
    state = OutboxState.DONE
    suites = 1
    tests = 3
    failures = 1
    errors = 0
    skipped = 1


def _failing(o) -> bool:
    return o.outcome in (Outcome.FAILED, Outcome.ERROR)


class TestResultFactory(_JUnitFactory):
    class Meta:
        model = TestResult

    report = factory.SubFactory(TestReportFactory)
    run = factory.LazyAttribute(lambda o: o.report.run)
    classname = "tests.test_paiements.TestRemboursement"
    name = factory.Sequence(lambda n: f"test_refund_{n}_Ωmega")
    # As JUnit ingestion keys a test: the same test in another report or
    # attempt has the same key (what flaky detection and the gates count by).
    test_key = factory.LazyAttribute(
        lambda o: hashlib.sha1(
            f"{o.classname}::{o.name}".encode(), usedforsecurity=False
        ).hexdigest()
    )
    outcome = Outcome.FAILED
    # Passing tests keep no texts (see TestResult).
    message = factory.LazyAttribute(
        lambda o: "AssertionError: 143 != 0" if _failing(o) else ""
    )
    details = factory.LazyAttribute(
        lambda o: "Traceback (most recent call last):\n  …" if _failing(o) else ""
    )


class _CommitEvidenceFactory(factory.django.DjangoModelFactory):
    """What perf samples and query plans share: measured on a repository's commit."""

    class Meta:
        abstract = True

    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    commit_sha = factory.LazyFunction(_next_sha)
    branch = "main"


class PerfSampleFactory(_CommitEvidenceFactory):
    class Meta:
        model = PerfSample

    scenario = "checkout"
    p50_ms = 80.0
    p95_ms = 210.5
    p99_ms = 380.0
    peak_memory_mb = 512.0
    sample_count = 1000


def _explain(o) -> list[dict]:
    """The EXPLAIN (FORMAT JSON) whose summary is the factory's nodes and
    seq_scan_relations (what pipelines.ingest.services.plans reads from it)."""
    scans = [
        {"Node Type": "Seq Scan", "Relation Name": r} for r in o.seq_scan_relations
    ]
    if not scans:
        root = {"Node Type": "Index Scan", "Relation Name": "orders"}
    elif len(scans) == 1:
        root = dict(scans[0])
    else:
        root = {"Node Type": "Hash Join", "Plans": scans}
    return [
        {"Plan": {**root, "Startup Cost": o.startup_cost, "Total Cost": o.total_cost}}
    ]


def _nodes(o) -> list[list[str]]:
    if not o.seq_scan_relations:
        return [["Index Scan", "orders"]]
    nodes = {("Seq Scan", r) for r in o.seq_scan_relations}
    if len(o.seq_scan_relations) > 1:
        nodes.add(("Hash Join", ""))
    return [list(pair) for pair in sorted(nodes)]


class QueryPlanFactory(_CommitEvidenceFactory):
    class Meta:
        model = QueryPlan

    query_name = "orders_by_customer"
    startup_cost = 0.0
    total_cost = 1234.5
    seq_scan_relations = factory.LazyFunction(lambda: ["orders"])
    plan = factory.LazyAttribute(_explain)
    nodes = factory.LazyAttribute(_nodes)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    delivery_id = factory.Sequence(lambda n: f"72d3162e-cc78-11e3-81ab-{n:012d}")
    event = "workflow_run"
    action = "completed"
    repository_full_name = "acme/ünmapped"
    body = b"{}"
    state = OutboxState.DONE


def results_for(run, outcomes: dict[str, str], report=None):
    """One TestResult per (test name → outcome) in one report of `run`."""
    report = report or TestReportFactory(run=run)
    return [
        TestResultFactory(report=report, run=run, name=name, outcome=outcome)
        for name, outcome in outcomes.items()
    ]
