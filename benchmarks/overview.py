"""Benchmark: the overview at `/` with many domains (issue 15), never part of
make test. Run: `.venv/bin/python benchmarks/overview.py [DOMAINS]` (default 200).

Seeds DOMAINS domains into its own database (BENCH_OVERVIEW_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/controlplane_bench_overview): two
repositories each, 14 days of hourly CI rollups for two workflows, runs on the
default branches with gate verdicts (some failing), three SLOs with a day of SLI
points, an open alert on every tenth domain, 30 days of production
deployments (one to three a day, some failed); then times the DORA summary
refresh (the beat task's work, every domain). Then asks for `/` as a staff user
through Django's full stack (the test client, no network): cold (cache cleared
before each request) and warm, and prints p50/p95 latency and the query count;
the figures go to benchmarks/results/overview-<timestamp>.json.
"""

import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_OVERVIEW_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/controlplane_bench_overview",
)
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "o" * 40)
os.environ.setdefault("CACHE_KEY_PREFIX", "bench-overview")
os.environ.setdefault("DEBUG", "1")  # no HTTPS redirect for the test client
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
DOMAINS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(n: int) -> None:
    from django.contrib.auth import get_user_model

    from dashboard.models import Domain, Repository
    from incidents.models import DeploymentOutcome
    from pipelines.gates.models import GateVerdict
    from pipelines.models import CIRollup, Deployment, Run
    from slos.models import SliPoint, Slo, SloAlert

    if Domain.objects.filter(slug__startswith="bench-ov-").count() >= n:
        return
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    for i in range(Domain.objects.filter(slug__startswith="bench-ov-").count(), n):
        domain = Domain.objects.create(slug=f"bench-ov-{i}", name=f"Bench {i:03d}")
        repos = [
            Repository.objects.create(
                domain=domain,
                full_name=f"bench/ov-{i}-{r}",
                owner="bench",
                name=f"ov-{i}-{r}",
                default_branch="main",
            )
            for r in range(2)
        ]
        rollups = []
        for repo in repos:
            for workflow in ("CI", "Nightly"):
                for h in range(14 * 24):
                    failed = (h + i) % 9 == 0
                    rollups.append(
                        CIRollup(
                            domain=domain,
                            repository=repo,
                            workflow=workflow,
                            hour=now - timedelta(hours=h),
                            runs=1,
                            passed=0 if failed else 1,
                            failed=1 if failed else 0,
                            duration_sum_s=300,
                            duration_hist={"50": 1},
                        )
                    )
            run = Run.objects.create(
                domain=domain,
                repository=repo,
                provider="github_actions",
                external_id=f"ov-{i}-{repo.pk}",
                head_sha=f"{i:020x}{repo.pk:020x}",
                branch="main",
                workflow="CI",
                status="completed",
                conclusion="success",
                started_at=now,
            )
            GateVerdict.objects.create(
                domain=domain,
                repository=repo,
                sha=run.head_sha,
                context="controlplane/tests",
                state="failure" if i % 7 == 0 else "success",
                description="bench",
                evaluated_at=now,
                changed_at=now,
            )
        CIRollup.objects.bulk_create(rollups, batch_size=5000)
        per_day = 1 + i % 3
        deployments = Deployment.objects.bulk_create(
            Deployment(
                repository=repos[0],
                domain=domain,
                external_id=d,
                environment="production",
                sha=f"{i:020x}{d:020x}",
                ref="main",
                state="success",
                created_at=now - timedelta(hours=24 * d / per_day),
            )
            for d in range(30 * per_day)
        )
        DeploymentOutcome.objects.bulk_create(
            DeploymentOutcome(
                deployment=d,
                domain=domain,
                succeeded_at=None if d.external_id % 9 == 0 else d.created_at,
                failed_at=d.created_at if d.external_id % 9 == 0 else None,
            )
            for d in deployments
        )
        for s in range(3):
            slo = Slo.objects.create(
                domain=domain,
                name=f"slo-{s}",
                objective=0.999,
                window_seconds=(7 if s else 30) * 86400,
            )
            SliPoint.objects.bulk_create(
                SliPoint(slo=slo, ts=now - timedelta(hours=h), good=9990, total=10000)
                for h in range(24)
            )
            if i % 10 == 0 and s == 0:
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
    User = get_user_model()
    if not User.objects.filter(username="bench-staff").exists():
        User.objects.create_superuser("bench-staff", "b@example.org", "x" * 20)


def _forget_overview() -> None:
    """Drop the overview's cached columns (only those: the Redis database may
    be shared)."""
    import hashlib

    from dashboard.board.overview import COLUMNS
    from dashboard.models import Domain
    from dashboard.platform.caching import invalidate

    ids = ",".join(
        str(pk) for pk in Domain.objects.order_by("pk").values_list("pk", flat=True)
    )
    digest = hashlib.sha256(ids.encode()).hexdigest()[:16]
    for column in COLUMNS:
        invalidate("overview.column", column, digest)


def measure(client, *, cold: bool) -> dict:
    from contextlib import ExitStack

    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    timings, queries = [], []
    for _ in range(REQUESTS):
        if cold:
            _forget_overview()
        with ExitStack() as stack:
            captured = [
                stack.enter_context(CaptureQueriesContext(connections[alias]))
                for alias in connections
            ]
            started = time.perf_counter()
            response = client.get("/")
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        queries.append(sum(len(c) for c in captured))
    timings.sort()
    return {
        "requests": REQUESTS,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "queries": max(queries),
    }


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(DOMAINS)
    seeded_s = round(time.perf_counter() - started, 1)
    from incidents.services.dora_summaries import dora_summaries_refresh

    started = time.perf_counter()
    dora_summaries_refresh()
    dora_refresh_s = round(time.perf_counter() - started, 1)
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-staff"))
    body = client.get("/").content.decode()
    rows = body.count("<tr data-domain=")
    result = {
        "domains": rows,
        "seed_s": seeded_s,
        "dora_summaries_refresh_s": dora_refresh_s,
        "cold": measure(client, cold=True),
        "warm": measure(client, cold=False),
        "at": datetime.now(UTC).isoformat(),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"overview-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
