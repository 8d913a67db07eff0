"""Chart points: PostgreSQL folds the hourly rollups into the range's points
(date_bin, GROUP BY); other databases (SQLite, `make run`'s fallback) get the
hours and Python folds them. Both must draw the very same panels."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.board import panels as board_panels
from dashboard.board.panels import common
from dashboard.board.panels.common import RANGES, custom_range
from dashboard.board.rollups import rollups_refresh

pytestmark = pytest.mark.django_db

FOLDED = ("ci-health", "perf", "query-plans", "ingestion")


def _spread(build) -> None:
    """Rows over three months, several to an hour, some hours and days apart."""
    from pipelines.models import PerfSample, QueryPlan, WebhookDelivery

    now = timezone.now()
    for hours_ago in (1, 2, 2.5, 7, 30, 31, 200, 1_000, 2_000):
        build.runs(5, hours_ago=hours_ago, conclusion_every=2)
    for model, field, made in (
        (PerfSample, "created_at", build.perf(24)),
        (QueryPlan, "created_at", build.plans(24)),
        (WebhookDelivery, "received_at", build.deliveries(24)),
        (WebhookDelivery, "received_at", build.deliveries(8, unmapped=True)),
    ):
        for i, row in enumerate(made):
            model.objects.filter(pk=row.pk).update(
                **{field: now - timedelta(hours=(i * 37) % 2_100 + 0.5)}
            )
    rollups_refresh()
    from dashboard.board.rollups import rollups_rebuild_all

    rollups_rebuild_all()  # the late rows' old hours too


@pytest.mark.parametrize("range_key", ["24h", "7d", "30d", "90d", "custom"])
def test_points_folded_by_postgresql_equal_points_folded_in_python(
    build, domain, monkeypatch, range_key
):
    _spread(build)
    today = timezone.now().date()
    chosen = (
        custom_range(str(today - timedelta(days=40)), str(today - timedelta(days=2)))
        if range_key == "custom"
        else RANGES[range_key]
    )
    for slug in FOLDED:
        panel = board_panels.PANELS[slug]
        in_sql = panel.build(domain.pk, chosen)
        monkeypatch.setattr(common, "groups_in_sql", lambda: False)
        in_python = panel.build(domain.pk, chosen)
        monkeypatch.undo()
        assert in_sql == in_python, slug
    ci = board_panels.PANELS["ci-health"].build(domain.pk, RANGES["90d"])
    assert ci["totals"]["runs"] == 45
    assert all(p["p95_s"] is not None for w in ci["workflows"] for p in w["points"])
