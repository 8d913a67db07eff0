"""SLI points may carry the model or prompt pin (and its version) that served
them: two columns ("" = not tagged), the unique key widened to include them
(so a rollout's stable and candidate versions each keep a point for the same
interval), and a partial index over the tagged points only. Built CONCURRENTLY
on PostgreSQL; the hourly sums are unchanged (they sum every point)."""

from django.db import migrations, models

from dashboard.platform.migration_ops import (
    AddIndexConcurrentlyOnPostgres,
    ReplaceUniqueConcurrently,
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction
    dependencies = [
        ("slos", "0004_sli_hours"),
    ]

    operations = [
        migrations.AddField(
            model_name="slipoint",
            name="pin_id",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=100
            ),
        ),
        migrations.AddField(
            model_name="slipoint",
            name="pin_version",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        ReplaceUniqueConcurrently(
            model_name="slipoint",
            old=models.UniqueConstraint(fields=("slo", "ts"), name="uniq_sli_point"),
            new=models.UniqueConstraint(
                fields=("slo", "ts", "pin_id", "pin_version"), name="uniq_sli_point"
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="slipoint",
            index=models.Index(
                condition=models.Q(("pin_id", ""), _negated=True),
                fields=["pin_id", "ts"],
                name="sli_point_pin_idx",
            ),
        ),
    ]
