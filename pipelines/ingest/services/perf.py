"""Performance samples: one per (repository, commit, service, scenario, pin
version)."""

from django.db import transaction

from dashboard.domains.models import Domain, Repository
from dashboard.platform.upserts import Upserted
from pipelines.ingest.models import PerfSample
from pipelines.ingest.services.runs import evidence_upsert


@transaction.atomic
def perf_sample_record(
    *,
    domain: Domain,
    repository: Repository,
    scenario: str,
    commit_sha: str,
    p50_ms: float,
    p95_ms: float,
    p99_ms: float,
    sample_count: int,
    peak_memory_mb: float | None = None,
    branch: str = "",
    base_branch: str = "",
    service: str = "",
    pin_id: str = "",
    pin_version: str = "",
) -> Upserted[PerfSample]:
    """Record a sample; the same commit and scenario (and pin version, when
    tagged) reported again replaces the earlier figures instead of counting
    twice."""
    values = {
        "domain": domain,
        "branch": branch,
        "base_branch": base_branch,
        "p50_ms": p50_ms,
        "p95_ms": p95_ms,
        "p99_ms": p99_ms,
        "peak_memory_mb": peak_memory_mb,
        "sample_count": sample_count,
    }
    return evidence_upsert(
        PerfSample,
        lookup={
            "repository": repository,
            "commit_sha": commit_sha,
            "service": service,
            "scenario": scenario,
            "pin_id": pin_id,
            "pin_version": pin_version,
        },
        values=values,
        repository_id=repository.pk,
        sha=commit_sha,
    )
