"""Split Repository.full_name into owner and name, backfilling existing rows."""

from django.db import migrations, models


def backfill_owner_name(apps, schema_editor):
    Repository = apps.get_model("dashboard", "Repository")
    # Read and write through the migrating connection, never the replica router.
    rows = Repository.objects.using(schema_editor.connection.alias)
    for repo in rows.filter(owner="").iterator(chunk_size=1000):
        owner, _, name = repo.full_name.partition("/")
        rows.filter(pk=repo.pk).update(owner=owner, name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="repository",
            name="name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="repository",
            name="owner",
            field=models.CharField(blank=True, max_length=39),
        ),
        # Reversing only drops the columns; nothing to undo in the data.
        migrations.RunPython(backfill_owner_name, migrations.RunPython.noop),
    ]
