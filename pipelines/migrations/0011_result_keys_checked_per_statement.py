"""Test results' keys checked once per statement, not once per row.

PostgreSQL checks a foreign key with a query per inserted row: for a JUnit
report's COPY of 50,000 testcases, two keys cost as much as the COPY itself.
The results' two foreign keys become plain columns for the database
(db_constraint=False; deletes still cascade in Django), and on PostgreSQL two
statement triggers keep the rule, set-based, over each statement's rows:

- a result (inserted or updated) names an existing report *and* that report's
  run (stricter than the two keys were: run_id is the report's run_id); the
  reports named are locked FOR KEY SHARE, as a key locks its parent row, so a
  report deleted concurrently cannot leave results behind;
- a report cannot be deleted, nor its id or run changed, while results name
  it (the keys' NO ACTION); so a run cannot be deleted under results either
  (the report's own key to its run stays).

Both raise foreign_key_violation (SQLSTATE 23503), as a key would: Django
raises IntegrityError. SQLite (a bare `make run`) has neither keys nor triggers
for these columns; the application writes them from the report itself."""

import django.db.models.deletion
from django.db import migrations, models

FUNCTIONS = """
CREATE FUNCTION pipelines_testresult_keys_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- As a key does: share-lock the reports named, so a concurrent DELETE of
    -- one waits for this transaction (and then finds its results), and one
    -- deleted meanwhile is gone by the check below (a new snapshot).
    PERFORM 1 FROM pipelines_testreport r
    WHERE r.id IN (SELECT DISTINCT n.report_id FROM new_rows n)
    ORDER BY r.id
    FOR KEY SHARE OF r;
    SELECT n.report_id, n.run_id INTO bad
    FROM new_rows n
    LEFT JOIN pipelines_testreport r ON r.id = n.report_id AND r.run_id = n.run_id
    WHERE r.id IS NULL
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format(
                'test result names report %s of run %s: no such report of that run',
                bad.report_id, bad.run_id
            );
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION pipelines_testreport_results_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad bigint;
BEGIN
    SELECT o.id INTO bad
    FROM old_rows o
    WHERE EXISTS (SELECT 1 FROM pipelines_testresult t WHERE t.report_id = o.id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format('report %s still has test results', bad);
    END IF;
    RETURN NULL;
END
$$;

-- A report's id or run changed under its results (no code does; the keys
-- refused it): a row trigger that fires only then.
CREATE FUNCTION pipelines_testreport_moved_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pipelines_testresult t WHERE t.report_id = OLD.id) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format('report %s has test results: its id and run stay', OLD.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER testresult_keys_insert AFTER INSERT ON pipelines_testresult
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipelines_testresult_keys_check();
CREATE TRIGGER testresult_keys_update AFTER UPDATE ON pipelines_testresult
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipelines_testresult_keys_check();
CREATE TRIGGER testreport_results_delete AFTER DELETE ON pipelines_testreport
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pipelines_testreport_results_check();
CREATE TRIGGER testreport_results_move AFTER UPDATE OF id, run_id
    ON pipelines_testreport FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.run_id IS DISTINCT FROM NEW.run_id)
    EXECUTE FUNCTION pipelines_testreport_moved_check();
"""

DROP = """
DROP TRIGGER IF EXISTS testresult_keys_insert ON pipelines_testresult;
DROP TRIGGER IF EXISTS testresult_keys_update ON pipelines_testresult;
DROP TRIGGER IF EXISTS testreport_results_delete ON pipelines_testreport;
DROP TRIGGER IF EXISTS testreport_results_move ON pipelines_testreport;
DROP FUNCTION IF EXISTS pipelines_testreport_moved_check();
DROP FUNCTION IF EXISTS pipelines_testresult_keys_check();
DROP FUNCTION IF EXISTS pipelines_testreport_results_check();
"""


def triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0010_perf_sample_pins"),
    ]

    operations = [
        migrations.AlterField(
            model_name="testresult",
            name="report",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="results",
                to="pipelines.testreport",
            ),
        ),
        migrations.AlterField(
            model_name="testresult",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="test_results",
                to="pipelines.run",
            ),
        ),
        migrations.RunPython(triggers_create, triggers_drop, elidable=False),
    ]
