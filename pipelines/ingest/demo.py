"""Demo CI data for `python manage.py load_demo`: runs with jobs and JUnit
results (a failure, a flaky test), perf samples with a regression, query plans
with a sequential scan, and webhook deliveries (one for an unmapped repository).

Deterministic (a seeded generator; times anchored to today's midnight UTC) and
idempotent: everything is keyed by natural keys and skipped when present.
"""

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dashboard.domains.models import Repository
from dashboard.platform.models import OutboxState
from pipelines.ingest.models import (
    PerfSample,
    QueryPlan,
    Run,
    TestReport,
    WebhookDelivery,
)
from pipelines.ingest.services import junit, perf, plans, runs, webhooks

REPOSITORIES = [
    "acme/payments-api",
    "acme/refunds",
    "acme/search",
    "acme/onboarding-web",
]
RUNS_PER_REPOSITORY = 10
TESTS = [
    ("tests.test_checkout.CheckoutTests", "test_adds_item"),
    ("tests.test_checkout.CheckoutTests", "test_applies_coupon"),
    ("tests.test_checkout.CheckoutTests", "test_rounds_currency_half_even"),
    ("tests.test_refunds.RefundTests", "test_partial_refund"),
    ("tests.test_refunds.RefundTests", "test_refund_after_leap_day"),
    ("tests.test_search.RankingTests", "test_exact_match_first"),
    ("tests.test_search.RankingTests", "test_unicode_query_zoë"),
    ("tests.test_api.HealthTests", "test_readyz"),
]
FLAKY = ("tests.test_api.HealthTests", "test_readyz")


def _anchor() -> datetime:
    now = timezone.now().astimezone(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _sha(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(40))


def _junit_xml(rng: random.Random, *, fail: set[str]) -> bytes:
    cases = []
    for classname, name in TESTS:
        inner = ""
        if name in fail:
            inner = (
                f'<failure message="AssertionError: expected 200, got 503" '
                f'type="AssertionError">Traceback (most recent call last):\n'
                f'  File "{classname.replace(".", "/")}.py", line 42, in {name}\n'
                f"AssertionError: expected 200, got 503</failure>"
            )
        cases.append(
            f'<testcase classname="{classname}" name="{name}" '
            f'time="{rng.uniform(0.01, 1.5):.3f}">{inner}</testcase>'
        )
    body = "".join(cases)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
        f'tests="{len(TESTS)}">{body}</testsuite></testsuites>'
    ).encode()


def _report(run: Run, xml: bytes, name: str) -> None:
    report = TestReport(
        run=run,
        domain_id=run.domain_id,
        filename=name,
        size_bytes=len(xml),
        sha256=hashlib.sha256(xml).hexdigest(),
        state=OutboxState.PENDING,
    )
    report.file.save(name, ContentFile(xml), save=False)
    report.save()
    junit.report_parse(report_id=report.pk)  # parsed here: no worker needed


@transaction.atomic
def load(sender: object = None, **_: object) -> None:
    """Receiver of dashboard.signals.demo_loaded (connected in pipelines/apps.py)."""
    anchor = _anchor()
    for full_name in REPOSITORIES:
        repository = Repository.objects.filter(full_name__iexact=full_name).first()
        if repository is None:
            continue
        _runs(repository, anchor)
        _perf_and_plans(repository, anchor)
    _deliveries(anchor)


def _runs(repository: Repository, anchor: datetime) -> None:
    for i in range(RUNS_PER_REPOSITORY):
        # One generator per run: what is already loaded never shifts the rest.
        rng = random.Random(f"{repository.full_name}:run:{i}")  # nosec B311 # demo data
        sha = _sha(rng)
        branch = "main" if i % 3 else f"feature/demo-{i}"
        started = anchor - timedelta(days=i, hours=rng.randint(1, 20))
        duration = timedelta(seconds=rng.randint(90, 900))
        fail = {"test_applies_coupon"} if i == 4 else set()
        conclusion = "failure" if fail else "success"
        attempts = 2 if i == 2 else 1  # attempt 1 flaked, attempt 2 passed
        for attempt in range(1, attempts + 1):
            external_id = f"demo-{repository.pk}-{i}"
            if Run.objects.filter(
                provider="github_actions",
                repository=repository,
                external_id=external_id,
                attempt=attempt,
            ).exists():
                continue
            flaky_fail = attempt == 1 and attempts == 2
            # A re-run starts 20 minutes after the first attempt and ends a
            # duration after its own start (never before it).
            attempt_started = started + timedelta(minutes=20 * (attempt - 1))
            run = runs.run_upsert(
                provider="github_actions",
                repository=repository,
                external_id=external_id,
                attempt=attempt,
                started_at=attempt_started,
                head_sha=sha,
                branch=branch,
                workflow="CI",
                event="push" if branch == "main" else "pull_request",
                run_number=100 + i,
                url=f"https://github.com/{repository.full_name}/actions/runs/{i}",
                status="completed",
                conclusion="failure" if flaky_fail else conclusion,
                completed_at=attempt_started + duration,
                source_updated_at=attempt_started + duration,
            ).obj
            for job_name in ("lint", "test (3.11)"):
                runs.job_upsert(
                    run=run,
                    external_id=f"{external_id}.{attempt}.{job_name}",
                    name=job_name,
                    status="completed",
                    conclusion=run.conclusion if job_name != "lint" else "success",
                    started_at=run.started_at,
                    completed_at=run.completed_at,
                    source_updated_at=run.completed_at,
                )
            failing = fail | ({FLAKY[1]} if flaky_fail else set())
            _report(run, _junit_xml(rng, fail=failing), f"junit-{attempt}.xml")


def _perf_and_plans(repository: Repository, anchor: datetime) -> None:
    domain = repository.domain
    for i in range(8):
        rng = random.Random(f"{repository.full_name}:perf:{i}")  # nosec B311 # demo data
        sha = _sha(rng)
        branch = "main" if i else "feature/slow-path"
        regression = 1.35 if i == 0 else 1.0
        p95 = round(rng.uniform(180, 220) * regression, 1)
        sample = perf.perf_sample_record(
            domain=domain,
            repository=repository,
            scenario="checkout",
            commit_sha=sha,
            branch=branch,
            base_branch="main",
            p50_ms=round(p95 * 0.45, 1),
            p95_ms=p95,
            p99_ms=round(p95 * 1.6, 1),
            peak_memory_mb=round(rng.uniform(380, 460) * regression, 1),
            sample_count=5000,
        ).obj
        # Spread over the last days (newest is the regression) so charts show a line.
        measured = anchor - timedelta(days=7 - i, hours=-9)
        PerfSample.objects.filter(pk=sample.pk).update(created_at=measured)
        seq = i == 0
        plan = plans.query_plan_record(
            domain=domain,
            repository=repository,
            query_name="orders_by_customer",
            commit_sha=sha,
            branch=branch,
            plan=[
                {
                    "Plan": {
                        "Node Type": "Seq Scan" if seq else "Index Scan",
                        "Relation Name": "orders",
                        "Startup Cost": 0.0 if seq else 0.43,
                        "Total Cost": 48211.0 if seq else round(rng.uniform(8, 12), 2),
                        "Plan Rows": 1200,
                        "Plan Width": 64,
                    }
                }
            ],
        ).obj
        QueryPlan.objects.filter(pk=plan.pk).update(created_at=measured)


def _deliveries(anchor: datetime) -> None:
    samples = [
        ("demo-delivery-1", "acme/payments-api", "completed"),
        ("demo-delivery-2", "acme/legacy-monolith", "completed"),  # not mapped
    ]
    for delivery_id, full_name, action in samples:
        if WebhookDelivery.objects.filter(delivery_id=delivery_id).exists():
            continue
        payload = {
            "action": action,
            "repository": {"full_name": full_name},
            "workflow_run": {
                "id": 424242,
                "run_attempt": 1,
                "name": "Deploy",
                "head_sha": "f" * 40,
                "head_branch": "main",
                "status": "completed",
                "conclusion": "success",
                "run_number": 77,
                "event": "push",
                "run_started_at": (anchor - timedelta(hours=3)).isoformat(),
                "updated_at": (anchor - timedelta(hours=2)).isoformat(),
                "pull_requests": [],
            },
        }
        body = json.dumps(payload).encode()
        delivery = WebhookDelivery.objects.create(
            delivery_id=delivery_id,
            event="workflow_run",
            action=action,
            repository_full_name=full_name,
            body=body,
            body_size=len(body),
        )
        webhooks.delivery_process(delivery_id=delivery.pk)
