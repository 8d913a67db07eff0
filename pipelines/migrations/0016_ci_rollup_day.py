"""The CI rollup per UTC day (CIRollupDay), filled from the hourly rows.

From here on pipelines.ingest.rollups.ci_days_rebuild keeps it whenever hours
are rebuilt; this fills the days of the hours already stored, with the same
sums (kept here on the historical models, as a migration must)."""

from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models


def fill_days(apps, schema_editor):
    alias = schema_editor.connection.alias
    CIRollup = apps.get_model("pipelines", "CIRollup")
    CIRollupDay = apps.get_model("pipelines", "CIRollupDay")
    built = {}
    for hour in CIRollup.objects.using(alias).order_by().iterator(chunk_size=10_000):
        day = hour.hour.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        key = (hour.domain_id, hour.repository_id, hour.workflow, day)
        item = built.get(key)
        if item is None:
            item = built[key] = CIRollupDay(
                domain_id=key[0],
                repository_id=key[1],
                workflow=key[2],
                day=day,
                duration_hist={},
            )
        item.runs += hour.runs
        item.passed += hour.passed
        item.failed += hour.failed
        item.duration_sum_s += hour.duration_sum_s
        for index, count in hour.duration_hist.items():
            item.duration_hist[index] = item.duration_hist.get(index, 0) + count
    for item in built.values():
        counts = sorted((int(i), c) for i, c in item.duration_hist.items())
        item.p50_bucket = _quantile_bucket(counts, 0.5)
        item.p95_bucket = _quantile_bucket(counts, 0.95)
    CIRollupDay.objects.using(alias).bulk_create(built.values(), batch_size=2_000)


def _quantile_bucket(counts, q):
    n = sum(c for _, c in counts)
    if not n:
        return None
    seen = 0
    for index, count in counts:
        seen += count
        if seen >= q * n and count:
            return index
    return 105  # the last bound (len(DURATION_BOUNDS_S) - 1), as the app does


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0011_service_repositories"),
        ("pipelines", "0015_drop_result_test_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name="CIRollupDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("workflow", models.CharField(max_length=200)),
                ("day", models.DateTimeField()),
                ("runs", models.PositiveIntegerField(default=0)),
                ("passed", models.PositiveIntegerField(default=0)),
                ("failed", models.PositiveIntegerField(default=0)),
                ("duration_sum_s", models.FloatField(default=0)),
                ("duration_hist", models.JSONField(default=dict)),
                ("p50_bucket", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("p95_bucket", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("domain", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="dashboard.domain")),
                ("repository", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="dashboard.repository")),
            ],
            options={
                "ordering": ["day"],
                "indexes": [models.Index(fields=["domain", "day"], name="cirollupday_domain_day")],
                "constraints": [models.UniqueConstraint(fields=("domain", "repository", "workflow", "day"), name="uniq_cirollupday_bucket")],
            },
        ),
        # Reversing drops the table; nothing else to undo.
        migrations.RunPython(fill_days, migrations.RunPython.noop),
    ]
