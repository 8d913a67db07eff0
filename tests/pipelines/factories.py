"""Factories for runs, jobs, reports, results, perf samples, plans, deliveries."""

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

_sha = (
    hashlib.sha1(str(i).encode(), usedforsecurity=False).hexdigest()
    for i in itertools.count()
)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    provider = "github_actions"
    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    external_id = factory.Sequence(lambda n: str(900_000 + n))
    attempt = 1
    head_sha = factory.LazyFunction(lambda: next(_sha))
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


class TestReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestReport

    __test__ = False

    run = factory.SubFactory(RunFactory)
    domain = factory.LazyAttribute(lambda o: o.run.domain)
    file = factory.django.FileField(filename="junit.xml", data=b"<testsuite/>")
    filename = "junit.xml"
    sha256 = "0" * 64
    state = OutboxState.DONE
    suites = 1
    tests = 3
    failures = 1
    errors = 0
    skipped = 1


class TestResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TestResult

    __test__ = False

    report = factory.SubFactory(TestReportFactory)
    run = factory.LazyAttribute(lambda o: o.report.run)
    test_key = factory.Sequence(
        lambda n: hashlib.sha1(str(n).encode(), usedforsecurity=False).hexdigest()
    )
    classname = "tests.test_payments.RefundTests"
    name = factory.Sequence(lambda n: f"test_refund_{n}_Ωmega")
    outcome = Outcome.FAILED
    message = "AssertionError: 143 != 0"
    details = "Traceback (most recent call last):\n  …"


class PerfSampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PerfSample

    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    scenario = factory.Sequence(lambda n: f"checkout-{n}")
    commit_sha = factory.LazyFunction(lambda: next(_sha))
    branch = "main"
    p50_ms = 80.0
    p95_ms = 210.5
    p99_ms = 380.0
    peak_memory_mb = 512.0
    sample_count = 1000


class QueryPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueryPlan

    repository = factory.SubFactory(RepositoryFactory)
    domain = factory.LazyAttribute(lambda o: o.repository.domain)
    query_name = factory.Sequence(lambda n: f"orders_by_customer_{n}")
    commit_sha = factory.LazyFunction(lambda: next(_sha))
    branch = "main"
    plan = [{"Plan": {"Node Type": "Seq Scan", "Relation Name": "orders"}}]
    startup_cost = 0.0
    total_cost = 1234.5
    nodes = [["Seq Scan", "orders"]]
    seq_scan_relations = ["orders"]


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    delivery_id = factory.Sequence(lambda n: f"72d3162e-cc78-11e3-81ab-{n:012d}")
    event = "workflow_run"
    action = "completed"
    repository_full_name = "acme/ünmapped"
    body = b"{}"
    state = OutboxState.DONE
