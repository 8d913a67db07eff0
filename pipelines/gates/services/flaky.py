"""Flaky tests: a test that both failed and passed on the same commit (across
attempts or runs) is recorded once per commit, so re-evaluating counts nothing twice."""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from dashboard.domains.models import Repository
from pipelines.gates.models import FlakyOccurrence, FlakyTest
from pipelines.gates.selectors import commit_test_outcomes


@transaction.atomic
def flaky_tests_record(*, repository: Repository, sha: str) -> list[FlakyTest]:
    """Record every test of the commit that both failed and passed."""
    flipped = [
        r
        for r in commit_test_outcomes(repository.pk, sha)
        if r["failed"] and r["passed"]
    ]
    if not flipped:
        return []
    now = timezone.now()
    recorded = []
    for row in flipped:
        flaky, _ = FlakyTest.objects.select_for_update().get_or_create(
            repository=repository,
            test_key=row["test_key"],
            defaults={
                "domain_id": repository.domain_id,
                "classname": (row["classname"] or "")[:500],
                "name": (row["name"] or "")[:1000],
                "first_seen_at": now,
                "last_seen_at": now,
                "last_sha": sha,
            },
        )
        _, created = FlakyOccurrence.objects.update_or_create(
            flaky_test=flaky,
            sha=sha,
            defaults={"failed": row["failed"], "passed": row["passed"]},
            create_defaults={
                "failed": row["failed"],
                "passed": row["passed"],
                "seen_at": now,
            },
        )
        if created:
            flaky.flip_count = flaky.occurrences.aggregate(n=Count("id"))["n"]
            flaky.last_seen_at, flaky.last_sha = now, sha
            flaky.save(update_fields=["flip_count", "last_seen_at", "last_sha"])
        recorded.append(flaky)
    return recorded
