"""Monitor deliveries' bodies compressed with lz4, as the webhook deliveries'
(pipelines 0017 says why)."""

from django.db import migrations

from dashboard.platform.migration_ops import compress_with


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_dora_summary")]

    operations = [
        compress_with("MonitorDelivery", "body", "lz4", app_label="incidents"),
    ]
