"""The migration SQL on real PostgreSQL: up turns a database built from the live
schema into the graph, down turns it back; quoting, order, concurrency, NOT NULL
through a check, destructive steps commented out unless allowed."""

import copy

import psycopg

from pipelines.drift.diff import schema_diff
from pipelines.drift.introspect import schema_introspect
from pipelines.drift.services.proofs import execute_steps
from pipelines.drift.sql import build_steps, migration_plan, render
from tests.pipelines.drift.conftest import LIVE, graph_with, normal


def introspected(conn, schema="public"):
    return schema_introspect(conn, schema)[0]


def differences(conn, wanted, schema="public"):
    return [c.summary for c in schema_diff(introspected(conn, schema), wanted)]


def test_up_and_down_on_a_real_database(scratch_db):
    live = normal(LIVE)
    graph = normal(graph_with(tightening=True, destructive=True))
    migration = migration_plan(
        schema="public", live=live, graph=graph, allow_destructive=True
    )
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        execute_steps(conn, build_steps("public", live))
        assert differences(conn, live) == []
        execute_steps(conn, migration.up)
        assert differences(conn, graph) == []
        execute_steps(conn, migration.down)
        assert differences(conn, live) == []


def test_safe_order_and_forms():
    live = normal(LIVE)
    graph = normal(graph_with(tightening=True, destructive=True))
    text = render(
        migration_plan(
            schema="public", live=live, graph=graph, allow_destructive=True
        ).up
    )
    # New table before its foreign key; the index on an existing table concurrently,
    # outside a transaction; NOT NULL as a NOT VALID check, validated, then set.
    assert text.index('CREATE TABLE "public"."refunds"') < text.index(
        'ALTER TABLE "public"."refunds" ADD CONSTRAINT "refunds_order_id_fkey" FOREIGN KEY'
    )
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_coupon_idx"' in text
    assert text.index("COMMIT;") < text.index("CONCURRENTLY")
    check = '"customers_nickname_not_null" CHECK ("nickname" IS NOT NULL) NOT VALID'
    assert check in text
    assert text.index(check) < text.index(
        'VALIDATE CONSTRAINT "customers_nickname_not_null"'
    )
    assert text.index('VALIDATE CONSTRAINT "customers_nickname_not_null"') < text.index(
        'ALTER COLUMN "nickname" SET NOT NULL'
    )
    assert "-- BACKFILL customers.nickname" in text
    assert '\nALTER TABLE "public"."customers" DROP COLUMN "legacy_code";' in text


def test_destructive_steps_are_commented_out_unless_allowed(scratch_db):
    live = normal(LIVE)
    graph = normal(graph_with(additive=False, destructive=True))
    migration = migration_plan(
        schema="public", live=live, graph=graph, allow_destructive=False
    )
    text = render(migration.up)
    assert '-- ALTER TABLE "public"."customers" DROP COLUMN "legacy_code";' in text
    assert "DESTRUCTIVE, left commented out" in text
    assert [c["kind"] for c in migration.skipped] == ["drop_column"]
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        execute_steps(conn, build_steps("public", live))
        execute_steps(conn, migration.up)
        # The column is still there: what up produced is the expected schema.
        assert differences(conn, migration.expected) == []
        assert "legacy_code" in {
            f["name"] for f in introspected(conn)["entities"][0]["fields"]
        }
        execute_steps(conn, migration.down)
        assert differences(conn, live) == []


def test_identifiers_and_literals_are_quoted(scratch_db):
    weird = 'Tab"le; DROP TABLE x; --'
    live = normal(
        {
            "entities": [
                {
                    "name": "plain",
                    "fields": [{"name": "id", "type": "integer", "primary_key": True}],
                }
            ]
        }
    )
    graph = copy.deepcopy(live)
    graph["entities"].append(
        {
            "name": weird,
            "fields": [
                {
                    "name": "ünï ☃",
                    "type": "text",
                    "nullable": False,
                    "default": "lit:'; DROP TABLE plain; --",
                    "primary_key": False,
                    "unique": False,
                }
            ],
            "indexes": [],
            "foreign_keys": [],
        }
    )
    graph["entities"].sort(key=lambda e: e["name"])
    migration = migration_plan(
        schema="public", live=live, graph=graph, allow_destructive=True
    )
    assert 'CREATE TABLE "public"."Tab""le; DROP TABLE x; --"' in render(migration.up)
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        execute_steps(conn, build_steps("public", live))
        execute_steps(conn, migration.up)
        assert differences(conn, graph) == []


def test_a_type_change_across_families_goes_through_text(scratch_db):
    live = normal(LIVE)
    graph = copy.deepcopy(LIVE)
    graph["entities"][0]["fields"][3]["type"] = "text"  # legacy_code integer -> text
    graph["entities"][1]["fields"][4]["type"] = "varchar(500)"  # note text -> varchar
    graph = normal(graph)
    migration = migration_plan(
        schema="public", live=live, graph=graph, allow_destructive=True
    )
    text = render(migration.up)
    assert 'TYPE text USING "legacy_code"::text::text' in text
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        execute_steps(conn, build_steps("public", live))
        conn.execute("INSERT INTO customers VALUES (1, 'a@b', 'n', 42)")
        execute_steps(conn, migration.up)
        assert differences(conn, graph) == []
        assert conn.execute("SELECT legacy_code FROM customers").fetchone()[0] == "42"
