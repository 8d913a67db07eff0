"""Webhook bodies compressed with lz4 instead of pglz (PostgreSQL's default).

A delivery's body (GitHub payloads of 5–25 KB, some far larger) is always
compressed into TOAST: with pglz that was about a quarter of PostgreSQL's time
per stored delivery. lz4 compresses such JSON several times faster and here
no worse (2,400 GitHub payloads: 5.0 MB against 5.4 MB), and the worker reads
it back faster too: one INSERT of a 15 KB payload went from 0.52–0.59 to
0.35–0.37 ms with its commit (docs/ingestion.md). Bodies already stored keep
pglz and stay readable."""

from django.db import migrations

from dashboard.platform.migration_ops import compress_with


class Migration(migrations.Migration):
    dependencies = [("pipelines", "0016_ci_rollup_day")]

    operations = [
        compress_with("WebhookDelivery", "body", "lz4", app_label="pipelines"),
    ]
