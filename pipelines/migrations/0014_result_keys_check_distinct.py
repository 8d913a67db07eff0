"""The test results' statement trigger (0011) checks each distinct (report, run)
pair of a statement once, not each row.

Its check joined every inserted row to pipelines_testreport: for a JUnit
report's COPY of 50,000 testcases, 50,000 index probes of the same report, about a
quarter of the database's time for the whole COPY. The rows are first reduced to
their distinct pairs (one hash pass; a report's COPY has one pair), and only
those are looked up. The reports named are still locked first, in id order
(FOR KEY SHARE, as a key does), then checked in a new snapshot; the same
refusal (foreign_key_violation, the same message) for the same rows."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION pipelines_testresult_keys_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    -- As a key does: share-lock the reports named, so a concurrent DELETE of
    -- one waits for this transaction (and then finds its results), and one
    -- deleted meanwhile is gone by the check below (a new snapshot).
    PERFORM 1 FROM pipelines_testreport r
    WHERE r.id = ANY (ARRAY(SELECT DISTINCT n.report_id FROM new_rows n))
    ORDER BY r.id
    FOR KEY SHARE OF r;
    SELECT n.report_id, n.run_id INTO bad
    FROM (SELECT DISTINCT d.report_id, d.run_id FROM new_rows d) n
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
"""

# 0011's function, as it was.
PREVIOUS = """
CREATE OR REPLACE FUNCTION pipelines_testresult_keys_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
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
"""


def _replace(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("pipelines", "0013_panel_speed"),
    ]

    operations = [
        migrations.RunPython(_replace(FUNCTION), _replace(PREVIOUS), elidable=False),
    ]
