"""Data builders for the dashboard tests: raw CI rows in bulk, rolled up the way
the beat task does it, with valid-but-weird names."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.board.rollups import rollups_refresh
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member


class Builder:
    """Adds `n` more rows of every kind the panels read, for one domain."""

    def __init__(self, domain, repositories):
        self.domain = domain
        self.repositories = repositories
        self.serial = 0

    def runs(self, n: int, *, hours_ago: float = 2, conclusion_every: int = 3):
        from pipelines.models import Run

        now = timezone.now()
        rows = []
        for _ in range(n):
            self.serial += 1
            i = self.serial
            repo = self.repositories[i % len(self.repositories)]
            started = now - timedelta(hours=hours_ago, minutes=i % 50)
            rows.append(
                Run(
                    provider="github_actions",
                    repository=repo,
                    domain=self.domain,
                    external_id=str(10_000 + i),
                    attempt=1,
                    head_sha=hashlib.sha1(
                        str(i).encode(), usedforsecurity=False
                    ).hexdigest(),
                    branch=repo.default_branch if i % 2 else f"feature/ünï-{i}",
                    workflow=["CI ✓", "Nightly — «perf»"][i % 2],
                    status="completed",
                    conclusion="failure" if i % conclusion_every == 0 else "success",
                    url=f"https://github.com/{repo.full_name}/actions/runs/{i}",
                    started_at=started,
                    completed_at=started + timedelta(seconds=60 + 7 * (i % 40)),
                )
            )
        return Run.objects.bulk_create(rows)

    def perf(self, n: int):
        from pipelines.models import PerfSample

        now = timezone.now()
        repo = self.repositories[0]
        rows = []
        for _ in range(n):
            self.serial += 1
            i = self.serial
            rows.append(
                PerfSample(
                    domain=self.domain,
                    repository=repo,
                    scenario=["checkout p95 🛒", "search"][i % 2],
                    commit_sha=f"{i:040x}",
                    branch="main",
                    p50_ms=50 + i % 10,
                    p95_ms=200 + i % 100,
                    p99_ms=400,
                    peak_memory_mb=300 + i % 50,
                    sample_count=100,
                )
            )
        made = PerfSample.objects.bulk_create(rows)
        PerfSample.objects.filter(pk__in=[r.pk for r in made]).update(
            created_at=now - timedelta(hours=3)
        )
        return made

    def plans(self, n: int):
        from pipelines.models import QueryPlan

        repo = self.repositories[0]
        rows = []
        for _ in range(n):
            self.serial += 1
            i = self.serial
            rows.append(
                QueryPlan(
                    domain=self.domain,
                    repository=repo,
                    query_name=["orders by customer", "søk"][i % 2],
                    commit_sha=f"{i:040x}",
                    branch="main",
                    plan={"Plan": {"Node Type": "Index Scan", "Total Cost": 10.0 + i}},
                    startup_cost=0.1,
                    total_cost=10.0 + i,
                )
            )
        return QueryPlan.objects.bulk_create(rows)

    def deliveries(self, n: int, *, unmapped: bool = False):
        from pipelines.models import WebhookDelivery

        rows = []
        for _ in range(n):
            self.serial += 1
            i = self.serial
            rows.append(
                WebhookDelivery(
                    delivery_id=f"d-{self.domain.pk}-{i}-{unmapped}",
                    event="workflow_run",
                    action="completed",
                    repository_full_name="stranger/repo"
                    if unmapped
                    else self.repositories[0].full_name,
                    repository=None if unmapped else self.repositories[0],
                    domain=None if unmapped else self.domain,
                    body=b"{}",
                    state="failed" if i % 5 == 0 else "done",
                    duplicate_count=i % 3,
                )
            )
        return WebhookDelivery.objects.bulk_create(rows)

    def verdicts(self, runs, samples=()):
        """A tests verdict per run and a perf verdict per performance sample
        (a perf gate judges a commit that has samples); odd ones fail."""
        from pipelines.gates.models import GateVerdict

        now = timezone.now()
        judged = [
            (run.pk, run.repository, run.head_sha, "controlplane/tests") for run in runs
        ]
        judged += [
            (s.pk, s.repository, s.commit_sha, "controlplane/perf") for s in samples
        ]
        rows = [
            GateVerdict(
                domain=self.domain,
                repository=repository,
                sha=sha,
                context=context,
                state="failure" if pk % 2 else "success",
                description="p95 312 ms > budget 250 ms; +18% vs main",
                evaluated_at=now,
                changed_at=now - timedelta(minutes=pk % 30),
            )
            for pk, repository, sha, context in judged
        ]
        return GateVerdict.objects.bulk_create(rows)

    def pulls(self, n: int):
        from pipelines.models import PullRequest

        rows = []
        for _ in range(n):
            self.serial += 1
            i = self.serial
            rows.append(
                PullRequest(
                    repository=self.repositories[0],
                    domain=self.domain,
                    number=i,
                    title=f"Ünïcode PR {i}",
                    state="open",
                    head_sha=f"{i:040x}",
                )
            )
        return PullRequest.objects.bulk_create(rows)

    def flaky(self, n: int):
        from pipelines.gates.models import FlakyTest

        now = timezone.now()
        rows = []
        for _ in range(n):
            self.serial += 1
            i = self.serial
            rows.append(
                FlakyTest(
                    domain=self.domain,
                    repository=self.repositories[0],
                    test_key=hashlib.sha1(
                        str(i).encode(), usedforsecurity=False
                    ).hexdigest(),
                    classname="tests.test_ünïcode",
                    name=f"test_flaky_{i}",
                    flip_count=i % 17,
                    first_seen_at=now - timedelta(days=2),
                    last_seen_at=now - timedelta(hours=i % 20),
                    last_sha=f"{i:040x}",
                )
            )
        return FlakyTest.objects.bulk_create(rows)

    def slos(self, n: int):
        """n SLOs over two window lengths, each with an hour of points and an
        open alert (the SLO panel's query count must not grow with them)."""
        from slos.models import Slo, SloAlert
        from slos.services import SliCounts, sli_points_record

        now = timezone.now()
        start = Slo.objects.filter(domain=self.domain).count()
        for i in range(start, start + n):
            slo = Slo.objects.create(
                domain=self.domain,
                name=f"slo-{i}-é",
                objective=0.999,
                window_seconds=(7 if i % 2 else 30) * 86400,
            )
            sli_points_record(
                slo=slo,
                points=[
                    SliCounts(ts=now - timedelta(minutes=m), good=990, total=1000)
                    for m in range(60)
                ],
            )
            SloAlert.objects.create(
                slo=slo,
                severity="page",
                long_window="1h",
                short_window="5m",
                factor=14.4,
                fired_at=now,
                fired_long_burn=15.0,
                fired_short_burn=20.0,
            )

    def incidents(self, n: int):
        """n production deployments (with outcomes and pushed commits) and n
        incidents, half open, each with an action item and a draft proposal (the
        DORA and incidents panels' query counts must not grow with them)."""
        from incidents.models import Incident
        from incidents.services.dora_facts import (
            commits_record,
            deployment_outcome_record,
        )
        from incidents.services.postmortems import action_item_add, learning_propose
        from pipelines.models import Deployment

        now = timezone.now()
        for _ in range(n):
            self.serial += 1
            i = self.serial
            repo = self.repositories[i % len(self.repositories)]
            at = now - timedelta(days=i % 20, hours=1)
            sha = hashlib.sha1(str(i).encode(), usedforsecurity=False).hexdigest()
            commits_record(
                repository=repo,
                ref="refs/heads/main",
                pushed_at=at - timedelta(minutes=5),
                commits=[{"sha": sha, "timestamp": at - timedelta(hours=3)}],
            )
            deployment = Deployment.objects.create(
                repository=repo,
                domain=self.domain,
                external_id=50_000 + i,
                environment="production",
                sha=sha,
                ref="main",
                created_at=at,
            )
            deployment_outcome_record(
                deployment=deployment,
                state="failure" if i % 4 == 0 else "success",
                at=at + timedelta(minutes=3),
            )
            incident = Incident.objects.create(
                domain=self.domain,
                source="api",
                external_id=f"inc-{i}-ü",
                title=f"Outage №{i}",
                severity="SEV2",
                status="resolved" if i % 2 else "acknowledged",
                started_at=at,
                acknowledged_at=at + timedelta(minutes=4),
                resolved_at=at + timedelta(minutes=40) if i % 2 else None,
                deployment=deployment,
            )
            action_item_add(
                incident=incident,
                title=f"Fix №{i}",
                owner="zoë",
                due_on=None,
                author="a",
            )
            learning_propose(
                incident=incident,
                kind="pin",
                title=f"Pin №{i}",
                rationale="r",
                author=None,
            )

    def drift(self, n: int):
        """n schema targets, each with a drift and a pull request (the drift
        panel's query count must not grow with them)."""
        from pipelines.drift.models import DriftPullRequest, SchemaDrift, SchemaTarget

        now = timezone.now()
        start = SchemaTarget.objects.filter(domain=self.domain).count()
        for i in range(start, start + n):
            target = SchemaTarget.objects.create(domain=self.domain, name=f"db-{i}")
            SchemaDrift.objects.create(
                domain=self.domain,
                target=target,
                fingerprint=f"{i:064x}",
                additive=i,
                tightening=1,
                checked_at=now,
                changed_at=now,
                proof_state="passed",
            )
            DriftPullRequest.objects.create(
                domain=self.domain,
                target=target,
                repository=self.repositories[0],
                branch=f"controlplane/drift/db-{i}",
                opened_fingerprint=f"{i:064x}",
                fingerprint=f"{i:064x}",
                number=i + 1,
                state="open",
                url=f"https://github.com/acme/payments-api/pull/{i + 1}",
            )

    def pin_moves(self, n: int):
        """n pins, each rolling out with a started and an advanced stage, and
        one more that served at once (the pin-move annotations' one query must
        not grow with them)."""
        from pipelines.pins.models import Pin, RolloutEvent
        from tests.pins.factories import pin_world

        for _ in range(n):
            self.serial += 1
            made = pin_world(
                self.domain, self.repositories[0], pin_id=f"pin-{self.serial}-ü"
            )
            rollout = Pin.objects.get(pk=made["pin"]).rollouts.get()
            for kind, pct in (("started", 5), ("advanced", 25)):
                RolloutEvent.objects.create(
                    rollout=rollout, kind=kind, traffic_pct=pct, text=f"{kind} {pct}%"
                )

    def everything(self, n: int):
        runs = self.runs(n)
        self.drift(max(1, n // 2))
        samples = self.perf(n)
        self.plans(n)
        self.deliveries(n)
        self.deliveries(max(1, n // 2), unmapped=True)
        self.verdicts(runs, samples)
        self.pulls(max(1, n // 3))
        self.flaky(n)
        self.slos(max(2, n // 2))
        self.incidents(max(1, n // 2))
        self.pin_moves(max(1, n // 2))
        rollups_refresh()
        return runs


@pytest.fixture
def domain():
    return DomainFactory(slug="payments-eu", name="Payments «EU» ü")


@pytest.fixture
def repositories(domain):
    return [
        RepositoryFactory(domain=domain, full_name="acme/payments-api"),
        RepositoryFactory(domain=domain, full_name="acme/refunds"),
    ]


@pytest.fixture
def build(domain, repositories) -> Builder:
    return Builder(domain, repositories)


@pytest.fixture
def engineer(domain):
    user = UserFactory(username="eve-engineer")
    member(user, domain, "engineer")
    return user


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer)
    return client
