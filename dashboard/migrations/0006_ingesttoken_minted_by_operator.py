from django.db import migrations, models


def mark_operator_tokens(apps, schema_editor):
    # Tokens without a creator were minted by an operator before this field
    # existed (or their creator is gone): they keep working as before.
    IngestToken = apps.get_model("dashboard", "IngestToken")
    IngestToken.objects.filter(created_by__isnull=True).update(
        minted_by_operator="operator (before tokens recorded who)"
    )


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0005_rollups_move")]

    operations = [
        migrations.AddField(
            model_name="ingesttoken",
            name="minted_by_operator",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.RunPython(mark_operator_tokens, migrations.RunPython.noop),
    ]
