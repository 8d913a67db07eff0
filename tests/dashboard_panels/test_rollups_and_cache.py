"""Rollups follow the raw tables incrementally, and the page survives Redis down."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.board.rollups import rollups_rebuild_all, rollups_refresh
from dashboard.models import RollupWatermark
from pipelines.ingest.rollups import (
    DURATION_BOUNDS_S,
    duration_bucket,
    histogram_quantile,
)
from pipelines.models import CIRollup, IngestRollup

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple]:
    return sorted(
        CIRollup.objects.values_list(
            "repository_id",
            "workflow",
            "hour",
            "runs",
            "passed",
            "failed",
            "duration_hist",
        )
    )


def _ingest_snapshot() -> list[tuple]:
    rows = IngestRollup.objects.values_list("domain_id", "hour", "received", "failed")
    return sorted((d or 0, h, r, f) for d, h, r, f in rows)


def test_refresh_counts_each_run_once_and_follows_late_completion(build):
    runs = build.runs(12, conclusion_every=4)  # 3 failures
    rollups_refresh()
    rollups_refresh()  # a second pass over the same rows changes nothing
    assert sum(CIRollup.objects.values_list("runs", flat=True)) == 12
    assert sum(CIRollup.objects.values_list("failed", flat=True)) == 3
    # A run still in progress is not counted; when it completes, it is.
    from pipelines.models import Run

    late = runs[0]
    Run.objects.filter(pk=late.pk).update(status="in_progress", conclusion="")
    rollups_refresh()
    assert sum(CIRollup.objects.values_list("runs", flat=True)) == 11
    Run.objects.filter(pk=late.pk).update(status="completed", conclusion="failure")
    rollups_refresh()
    assert sum(CIRollup.objects.values_list("runs", flat=True)) == 12


def test_late_rows_for_old_hours_are_folded_in(build):
    build.runs(4, hours_ago=2)
    rollups_refresh()
    build.runs(3, hours_ago=24 * 40)  # arrives now, for a day 40 days ago
    rollups_refresh()
    old = CIRollup.objects.filter(hour__lt=timezone.now() - timedelta(days=39))
    assert sum(old.values_list("runs", flat=True)) == 3
    assert RollupWatermark.objects.get(name="ci").last_id > 0


def test_a_run_that_completes_long_after_it_started_is_counted_in_its_hour(build):
    """A run that started two days ago (beyond the refresher's recent window)
    and completes now is folded into its start hour: the refresher also reads
    the runs changed since its last pass (runs.updated_at, indexed)."""
    from pipelines.models import Run

    (slow,) = build.runs(1, hours_ago=48)
    Run.objects.filter(pk=slow.pk).update(status="in_progress", conclusion="")
    rollups_refresh()
    assert sum(CIRollup.objects.values_list("runs", flat=True)) == 0
    slow.refresh_from_db()
    slow.status, slow.conclusion = "completed", "success"
    slow.save()  # stamps updated_at, as every service write does
    rollups_refresh()
    (bucket,) = CIRollup.objects.all()
    assert (bucket.hour, bucket.runs, bucket.passed) == (
        slow.started_at.replace(minute=0, second=0, microsecond=0),
        1,
        1,
    )


def test_full_rebuild_equals_incremental_refresh(build):
    build.everything(20)
    incremental = _snapshot()
    ingest = _ingest_snapshot()
    CIRollup.objects.all().delete()
    IngestRollup.objects.all().delete()
    rollups_rebuild_all()
    assert _snapshot() == incremental
    assert _ingest_snapshot() == ingest


def test_duration_percentiles_from_histograms_are_within_a_bucket():
    durations = [30] * 50 + [600] * 45 + [3600] * 5
    hist = [0] * len(DURATION_BOUNDS_S)
    for d in durations:
        hist[duration_bucket(d)] += 1
    p50 = histogram_quantile(hist, 0.5)
    p95 = histogram_quantile(hist, 0.95)
    assert 30 <= p50 <= 30 * 1.12
    assert 600 <= p95 <= 600 * 1.12
    assert histogram_quantile([], 0.5) is None


def test_dashboard_renders_from_the_database_when_redis_is_down(
    engineer_client, domain, build, settings
):
    build.everything(6)
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        }
    }
    url = reverse("dash:dashboard", args=[domain.slug])
    assert engineer_client.get(url).status_code == 200
    for slug in ("ci-health", "ingestion"):
        panel = reverse("dash:dashboard-panel", args=[domain.slug, slug])
        response = engineer_client.get(panel, {"range": "24h"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert b"fig-" in response.content


def test_rebuild_rollups_command_replaces_one_domains_rows(build, domain, capsys):
    from django.core.management import CommandError, call_command

    build.runs(6)
    rollups_refresh()
    before = _snapshot()
    CIRollup.objects.update(runs=999)  # corrupt them; the rebuild must fix it
    call_command("rebuild_rollups", "--domain", domain.slug)
    assert _snapshot() == before
    assert "ci rollup rows" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No such domain: nope"):
        call_command("rebuild_rollups", "--domain", "nope")


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_the_beat_task_refreshes_rollups_in_a_real_worker(build, celery_worker):
    import time

    from django.conf import settings

    from config.tasks import enqueue
    from dashboard.board.rollups import refresh_rollups_task

    assert (
        settings.CELERY_BEAT_SCHEDULE["refresh-rollups"]["task"]
        == refresh_rollups_task.name
    )
    build.runs(7)
    assert enqueue(refresh_rollups_task)
    deadline = time.monotonic() + 60
    while not CIRollup.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sum(CIRollup.objects.values_list("runs", flat=True)) == 7, (
        celery_worker.output()[-3000:]
    )


# --- The folds in SQL (PostgreSQL) against the folds in Python (SQLite) ---------
def _python_fold(source, domain_id):
    """What the Python fold (the SQLite path) makes of one domain's raw rows."""
    raw = source.model.objects.filter(
        **({"domain__isnull": True} if domain_id is None else {"domain_id": domain_id})
    )
    rows = raw.order_by("pk").values_list(*source.fields)
    return source.fold(domain_id, list(rows))


def _rows(instances, columns):
    return sorted(
        (
            tuple(
                round(v, 6) if isinstance(v, float) else v
                for v in (getattr(i, c) for c in columns)
            )
            for i in instances
        ),
        key=repr,
    )


def test_the_sql_folds_equal_the_python_folds(build, domain):
    """On PostgreSQL every rollup is folded by one INSERT … SELECT; the Python
    fold (SQLite) must give the very same rows, histograms included."""
    from dashboard.board.rollups import SOURCES
    from pipelines.models import Run

    build.everything(30)
    # Edges of the duration histogram and of the fold: exactly on a bucket's
    # upper bound, just above it, zero, negative (clock skew), no completion
    # time, still running, and an unnamed workflow.
    (a, b, c, d, e, f, g) = build.runs(7, hours_ago=5)
    for run, seconds in ((a, 1.12), (b, 1.1200001), (c, 0), (d, -30), (e, 10**6)):
        Run.objects.filter(pk=run.pk).update(
            completed_at=run.started_at + timedelta(seconds=seconds)
        )
    Run.objects.filter(pk=f.pk).update(completed_at=None, workflow="")
    Run.objects.filter(pk=g.pk).update(status="in_progress", conclusion="")
    rollups_rebuild_all()
    for source in SOURCES.values():
        columns = source.select_columns
        domains = [domain.pk, None] if source.with_unmapped else [domain.pk]
        in_sql = list(source.rollup.objects.all())
        in_python = [row for d in domains for row in _python_fold(source, d)]
        assert in_sql, source.name
        assert _rows(in_sql, columns) == _rows(in_python, columns), source.name


def test_the_sql_duration_bucket_is_duration_bucket():
    """duration_bucket() in SQL (width_bucket over the negated bounds) puts every
    duration in the same bucket as Python's bisect, on and around every bound."""
    from django.db import connection

    from pipelines.ingest.rollups import _BUCKET

    seconds = [0.0, -5.0, 0.5, 1e7]
    for bound in DURATION_BOUNDS_S:
        seconds += [bound, bound - 0.005, bound + 0.005, bound * (1 + 1e-12)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_BUCKET} FROM unnest(%s::float8[]) AS d(seconds)",  # noqa: S608
            [seconds],
        )
        in_sql = [row[0] for row in cursor.fetchall()]
    assert in_sql == [duration_bucket(s) for s in seconds]


def test_histograms_are_sparse_and_exact(build):
    build.runs(20)
    rollups_refresh()
    for row in CIRollup.objects.all():
        assert all(count > 0 for count in row.duration_hist.values())
        assert sum(row.duration_hist.values()) == row.runs


def test_the_migration_to_sparse_histograms_is_exact_both_ways(build):
    """pipelines 0010: dense lists become {"index": count} and back, the same
    in its PostgreSQL UPDATE and in its loop for SQLite."""
    import importlib

    from django.db import connection

    migration = importlib.import_module("pipelines.migrations.0013_panel_speed")
    dense = [[0, 0, 3, 0, 1], [7], [], [0] * 70 + [2]]
    for hist in dense:
        assert migration._to_dense(migration._to_sparse(hist)) == hist
    build.runs(2, hours_ago=2)
    build.runs(2, hours_ago=5)
    rollups_refresh()
    rows = list(CIRollup.objects.order_by("pk")[:4])
    assert len(rows) == 4
    for row, hist in zip(rows, dense, strict=True):
        CIRollup.objects.filter(pk=row.pk).update(duration_hist=hist)
    with connection.cursor() as cursor:
        cursor.execute(migration._SPARSE_SQL)
    assert [CIRollup.objects.get(pk=r.pk).duration_hist for r in rows] == [
        migration._to_sparse(h) for h in dense
    ]
    with connection.cursor() as cursor:
        cursor.execute(migration._DENSE_SQL)
    assert [CIRollup.objects.get(pk=r.pk).duration_hist for r in rows] == dense


@pytest.mark.parametrize("range_key", ["24h", "90d"])
def test_chart_points_read_through_the_cursor_equal_the_orms(
    build, domain, monkeypatch, range_key
):
    """per_point() and the CI day points read their rows with the cursor,
    not the ORM's converters, through statements compiled once: the same
    values of the same types for every panel's rollup (ints, floats, aware
    datetimes, the CI histograms decoded)."""
    from dashboard.board.panels import PANELS, common
    from dashboard.board.panels.common import RANGES
    from pipelines.ingest.panels import ci_health

    build.everything(6)
    rollups_refresh()
    compared = []

    def compared_with_the_orm(compiled, decode=lambda rows, shape: rows):
        def both(*, shape=None, **values):
            plain = decode(compiled(shape=shape, **values), shape)
            orm = list(compiled.build(**values, **(shape or {})))
            assert sorted(plain, key=repr) == sorted(orm, key=repr)
            assert [list(map(type, row)) for row in sorted(plain, key=repr)] == [
                list(map(type, row)) for row in sorted(orm, key=repr)
            ]
            compared.append(len(plain))
            return plain

        return both

    grouped, decoded = common._grouped, common._decoded

    def decode(rows, shape):
        aggregates = [a for _, a in shape["aggregates"]]
        return decoded(rows, len(shape["keys"]) + 1, aggregates)

    monkeypatch.setattr(
        common, "_grouped", lambda rows: compared_with_the_orm(grouped(rows), decode)
    )
    monkeypatch.setattr(common, "_decoded", lambda rows, first, aggregates: rows)
    monkeypatch.setattr(
        ci_health, "_day_points", compared_with_the_orm(ci_health._day_points)
    )
    for slug in ("ci-health", "perf", "query-plans", "ingestion"):
        PANELS[slug].build(domain.pk, RANGES[range_key])
    assert len(compared) == 4 and all(compared)  # every rollup had points
