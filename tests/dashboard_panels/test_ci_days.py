"""The CI rollup per UTC day (CIRollupDay) always says what its hours say, and
the CI panel's day-wide points (30 and 90 days, long custom ranges), read from
it, equal the points folded from the hours."""

import importlib
from collections import Counter, defaultdict
from datetime import UTC, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from dashboard.board.panels.common import RANGES, between, custom_range, per_point
from dashboard.board.rollups import (
    rollups_rebuild_all,
    rollups_refresh,
    rollups_touch,
)
from pipelines.ingest.panels import ci_health
from pipelines.models import CIRollup, CIRollupDay, Run

pytestmark = pytest.mark.django_db


def _days_from_hours() -> list[tuple]:
    """The hourly rows summed per domain, repository, workflow and UTC date,
    computed here without the code under test."""
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, Counter()])
    for (
        domain,
        repo,
        workflow,
        hour,
        runs,
        passed,
        failed,
        hist,
    ) in CIRollup.objects.values_list(
        "domain_id",
        "repository_id",
        "workflow",
        "hour",
        "runs",
        "passed",
        "failed",
        "duration_hist",
    ):
        item = sums[(domain, repo, workflow, hour.astimezone(UTC).date())]
        item[0] += runs
        item[1] += passed
        item[2] += failed
        item[3].update(hist)
    return sorted(
        (key, runs, passed, failed, dict(hist), *_p50_p95(hist))
        for key, (runs, passed, failed, hist) in sums.items()
    )


def _p50_p95(hist: Counter) -> tuple:
    """The buckets holding the median and the 95th percentile run: where the
    runs counted in bucket order first reach half and 95% of them."""
    total = sum(hist.values())
    if not total:
        return (None, None)
    found = []
    for q in (0.5, 0.95):
        running = 0
        for index in sorted(hist, key=int):
            running += hist[index]
            if running >= q * total:
                found.append(int(index))
                break
    return tuple(found)


def _days() -> list[tuple]:
    rows = []
    fields = ("domain_id", "repository_id", "workflow", "day", "runs", "passed")
    fields += ("failed", "duration_hist", "p50_bucket", "p95_bucket")
    for domain, repo, workflow, day, *counts in CIRollupDay.objects.values_list(
        *fields
    ):
        day = day.astimezone(UTC)
        assert (day.hour, day.minute, day.second, day.microsecond) == (0, 0, 0, 0)
        rows.append(((domain, repo, workflow, day.date()), *counts))
    return sorted(rows)


def _spread(build) -> list[Run]:
    """Runs on several days: hours ago, yesterday, ten and forty days ago."""
    runs = []
    for hours_ago in (2, 5, 26, 24 * 10, 24 * 10 + 3, 24 * 40):
        runs += build.runs(4, hours_ago=hours_ago)
    return runs


def test_days_follow_the_hours_through_refresh_completion_rebuild_and_touch(
    build, domain
):
    runs = _spread(build)
    rollups_refresh()
    expected = _days_from_hours()
    assert len({key[3] for key, *_ in expected}) >= 4  # several days
    assert any(p50 != p95 for *_, p50, p95 in expected)  # spread durations
    assert _days() == expected
    assert sum(row[1] for row in expected) == len(runs)

    # A run that is no longer complete leaves its day; back when it completes.
    late = runs[0]
    Run.objects.filter(pk=late.pk).update(status="in_progress", conclusion="")
    rollups_refresh()
    assert sum(row[1] for row in _days()) == len(runs) - 1
    assert _days() == _days_from_hours()
    late.refresh_from_db()
    late.status, late.conclusion = "completed", "failure"
    late.save()
    rollups_refresh()
    assert _days() == _days_from_hours()
    assert sum(row[1] for row in _days()) == len(runs)

    # A full rebuild mends corrupted day rows.
    CIRollupDay.objects.update(runs=999, duration_hist={"3": 7}, p95_bucket=3)
    rollups_rebuild_all()
    assert _days() == _days_from_hours()

    # A touch (new runs shown at once) keeps today's day row with its hours.
    build.runs(3, hours_ago=1)
    rollups_touch(domain_id=domain.pk)
    assert _days() == _days_from_hours()
    assert sum(row[1] for row in _days()) == len(runs) + 3


@pytest.mark.parametrize("range_key", ["30d", "90d", "custom"])
def test_day_wide_points_equal_the_points_folded_from_the_hours(
    build, domain, range_key
):
    _spread(build)
    rollups_refresh()
    today = timezone.now().astimezone(UTC).date()
    time_range = (
        custom_range(f"{today - timedelta(days=44):%Y-%m-%d}", f"{today:%Y-%m-%d}")
        if range_key == "custom"
        else RANGES[range_key]
    )
    assert ci_health.reads_days(time_range)
    from_days = ci_health.series_points(domain.pk, time_range)

    def hours(domain_id, since, until):
        return CIRollup.objects.filter(
            domain_id=domain_id, **between("hour", since, until)
        )

    from_hours = ci_health.merge_points(
        per_point(
            hours,
            time_range,
            ci_health.POINT_KEYS,
            ci_health.point_aggregates(),
            domain_id=domain.pk,
        )
    )
    assert from_days and sorted(from_days) == sorted(from_hours)


def test_shorter_points_still_read_the_hours(domain):
    assert not ci_health.reads_days(RANGES["7d"])
    assert ci_health.reads_days(RANGES["30d"])


def test_the_migration_fills_the_days_of_the_hours_already_stored(build):
    _spread(build)
    rollups_refresh()
    CIRollupDay.objects.all().delete()
    migration = importlib.import_module("pipelines.migrations.0016_ci_rollup_day")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.fill_days(apps, editor)
    assert _days() == _days_from_hours() != []


def test_the_sums_in_python_equal_those_in_sql(build):
    """SQLite (make run without a database) sums the days in Python."""
    from pipelines.ingest.rollups import _fold_ci_days

    _spread(build)
    rollups_refresh()
    in_python = sorted(
        (
            (d.domain_id, d.repository_id, d.workflow, d.day.date()),
            d.runs,
            d.passed,
            d.failed,
            d.duration_hist,
            d.p50_bucket,
            d.p95_bucket,
        )
        for d in _fold_ci_days(CIRollup.objects.all())
    )
    assert in_python == _days() != []
