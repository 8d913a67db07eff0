"""Flaky tests: the ten that flipped on the most commits, seen in the range."""

from dashboard.board.panels.common import TimeRange, in_range, iso, window
from pipelines.gates.models import FlakyTest

TOP = 10


def build(domain_id: int, time_range: TimeRange) -> dict:
    since = window(time_range)
    tests = (
        FlakyTest.objects.filter(
            domain_id=domain_id, **in_range(time_range, "last_seen_at")
        )
        .select_related("repository")
        .only(
            "classname",
            "name",
            "flip_count",
            "last_seen_at",
            "last_sha",
            "repository__full_name",
        )
        .order_by("-flip_count", "-last_seen_at", "-id")[:TOP]
    )
    return {
        "since": iso(since),
        "tests": [
            {
                "repository": t.repository.full_name,
                "classname": t.classname,
                "name": t.name,
                "flips": t.flip_count,
                "last_seen": iso(t.last_seen_at),
                "last_sha": t.last_sha[:7],
            }
            for t in tests
        ],
    }
