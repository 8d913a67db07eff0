"""Performance samples may carry the model or prompt pin (and its version) the
scenario ran with: two columns ("" = not tagged), the natural key widened to
include them (a rollout's stable and candidate versions measured at the same
commit are two samples), and a partial index over the tagged samples only.
Built CONCURRENTLY on PostgreSQL."""

from django.db import migrations, models

from dashboard.platform.migration_ops import (
    AddIndexConcurrentlyOnPostgres,
    ReplaceUniqueConcurrently,
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction
    dependencies = [
        ("pipelines", "0009_glance"),
    ]

    operations = [
        migrations.AddField(
            model_name="perfsample",
            name="pin_id",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=100
            ),
        ),
        migrations.AddField(
            model_name="perfsample",
            name="pin_version",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        ReplaceUniqueConcurrently(
            model_name="perfsample",
            old=models.UniqueConstraint(
                fields=("repository", "commit_sha", "service", "scenario"),
                name="uniq_perf_sample",
            ),
            new=models.UniqueConstraint(
                fields=(
                    "repository",
                    "commit_sha",
                    "service",
                    "scenario",
                    "pin_id",
                    "pin_version",
                ),
                name="uniq_perf_sample",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="perfsample",
            index=models.Index(
                condition=models.Q(("pin_id", ""), _negated=True),
                fields=["repository", "pin_id", "created_at"],
                name="perf_pin_idx",
            ),
        ),
    ]
