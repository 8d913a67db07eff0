"""Panel speed: the CI rollups' duration histograms become sparse.

`duration_hist` was a dense list (a count per bucket index, up to 106 long)
and is now an object of the buckets that hold runs ({"<index>": count}): an
hour of one workflow holds a run or a few, so the dense lists were almost all
zeros, and every panel and rebuild read and wrote them. The conversion is one
UPDATE on PostgreSQL and a loop elsewhere (SQLite); both ways are exact.
"""

from django.db import migrations, models

_SPARSE_SQL = """
UPDATE dashboard_cirollup SET duration_hist = COALESCE(
    (SELECT jsonb_object_agg((e.i - 1)::text, e.v)
     FROM jsonb_array_elements(duration_hist) WITH ORDINALITY e(v, i)
     WHERE e.v <> '0'::jsonb),
    '{}'::jsonb)
WHERE jsonb_typeof(duration_hist) = 'array'
"""
_DENSE_SQL = """
UPDATE dashboard_cirollup SET duration_hist = COALESCE(
    (SELECT jsonb_agg(COALESCE(duration_hist -> g::text, '0'::jsonb) ORDER BY g)
     FROM generate_series(
         0, (SELECT max(k::int) FROM jsonb_object_keys(duration_hist) k)) g),
    '[]'::jsonb)
WHERE jsonb_typeof(duration_hist) = 'object'
"""


def _convert(apps, schema_editor, *, sql: str, shape) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql)
        return
    rollup = apps.get_model("pipelines", "CIRollup")
    db = schema_editor.connection.alias
    changed = []
    for row in rollup.objects.using(db).only("duration_hist").iterator():
        converted = shape(row.duration_hist)
        if converted is not None:
            row.duration_hist = converted
            changed.append(row)
    rollup.objects.using(db).bulk_update(changed, ["duration_hist"], batch_size=500)


def _to_sparse(hist):
    if not isinstance(hist, list):
        return None
    return {str(i): n for i, n in enumerate(hist) if n}


def _to_dense(hist):
    if not isinstance(hist, dict):
        return None
    dense = [0] * (max((int(i) for i in hist), default=-1) + 1)
    for i, n in hist.items():
        dense[int(i)] = n
    return dense


def forwards(apps, schema_editor) -> None:
    _convert(apps, schema_editor, sql=_SPARSE_SQL, shape=_to_sparse)


def backwards(apps, schema_editor) -> None:
    _convert(apps, schema_editor, sql=_DENSE_SQL, shape=_to_dense)


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0012_lean_delivery_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="cirollup",
            name="duration_hist",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(forwards, backwards),
    ]
