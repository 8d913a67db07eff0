"""Properties of the diff and the migration (hypothesis), on real PostgreSQL:
diff(a, a) is empty; the migration applied to a database built from `a` yields
a schema whose introspection equals `b`; down returns to `a`."""

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from pipelines.drift.diff import fingerprint, schema_diff
from pipelines.drift.introspect import schema_introspect
from pipelines.drift.schema import schema_normalize
from pipelines.drift.services.proofs import execute_steps
from pipelines.drift.sql import build_steps, migration_plan

TABLES = ["orders", "Kunden ü", 'we"ird']
COLUMNS = ["a", "b", "note", "Größe", "x y"]
TYPES = {
    "text": st.sampled_from([None, "", "it's ☃"]),
    "varchar(20)": st.sampled_from([None, "x"]),
    "varchar(5)": st.sampled_from([None, "ab"]),
    "integer": st.sampled_from([None, 0, -7, 42]),
    "bigint": st.sampled_from([None, 0, 9_000_000_000]),
    "numeric(10,2)": st.sampled_from([None, 0, "1.5"]),
    "boolean": st.sampled_from([None, True, False]),
    "timestamptz": st.sampled_from([None, "now()"]),
    "date": st.sampled_from([None, "current_date"]),
    "uuid": st.sampled_from([None, "gen_random_uuid()"]),
    "jsonb": st.just(None),
}


@st.composite
def columns(draw):
    names = draw(
        st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=4, unique=True)
    )
    fields = []
    for name in names:
        type_name = draw(st.sampled_from(sorted(TYPES)))
        fields.append(
            {
                "name": name,
                "type": type_name,
                "nullable": draw(st.booleans()),
                "default": draw(TYPES[type_name]),
                "unique": draw(st.booleans()) if type_name != "jsonb" else False,
            }
        )
    return fields


@st.composite
def schemas(draw):
    tables = draw(st.lists(st.sampled_from(TABLES), max_size=3, unique=True))
    entities = []
    for table in tables:
        fields = [
            {"name": "id", "type": "bigint", "primary_key": True},
            *draw(columns()),
        ]
        entity = {"name": table, "fields": fields, "indexes": [], "foreign_keys": []}
        plain = [f["name"] for f in fields[1:] if f["type"] != "jsonb"]
        if plain and draw(st.booleans()):
            entity["indexes"].append(
                {
                    "name": f"{table}_idx"[:40],
                    "fields": plain[:2],
                    "unique": draw(st.booleans()),
                }
            )
        entities.append(entity)
    for entity in entities:
        others = [e["name"] for e in entities]
        if draw(st.booleans()):
            parent = draw(st.sampled_from(others))
            entity["fields"].append(
                {"name": "parent_id", "type": "bigint", "nullable": True}
            )
            entity["foreign_keys"].append(
                {
                    "fields": ["parent_id"],
                    "references": {"entity": parent, "fields": ["id"]},
                    "on_delete": draw(
                        st.sampled_from(["cascade", "set null", "no action"])
                    ),
                }
            )
    return schema_normalize({"entities": entities})


@given(schemas())
def test_a_schema_has_no_drift_with_itself(a):
    assert schema_diff(a, a) == []


@given(schemas(), schemas())
def test_the_fingerprint_is_empty_only_without_changes(a, b):
    changes = schema_diff(a, b)
    assert (fingerprint(changes) == "") == (changes == [])


@pytest.fixture
def conn(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as connection:
        yield connection


def _reset(conn):
    conn.execute("DROP SCHEMA IF EXISTS drift_prop CASCADE")
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier("drift_prop")))


def _left(conn, wanted):
    actual, _ = schema_introspect(conn, "drift_prop")
    return [c.summary for c in schema_diff(actual, wanted)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=schemas(), b=schemas())
def test_up_yields_b_and_down_returns_to_a(conn, a, b):
    _reset(conn)
    execute_steps(conn, build_steps("drift_prop", a))
    assert _left(conn, a) == []
    migration = migration_plan(
        schema="drift_prop", live=a, graph=b, allow_destructive=True
    )
    execute_steps(conn, migration.up)
    assert _left(conn, b) == []
    execute_steps(conn, migration.down)
    assert _left(conn, a) == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=schemas(), b=schemas())
def test_without_destructive_steps_up_yields_the_expected_schema_and_down_a(conn, a, b):
    """Destructive steps commented out: up produces `expected` (b, keeping what
    it would have dropped or lossily converted), and down still returns to a."""
    _reset(conn)
    execute_steps(conn, build_steps("drift_prop", a))
    migration = migration_plan(
        schema="drift_prop", live=a, graph=b, allow_destructive=False
    )
    execute_steps(conn, migration.up)
    assert _left(conn, migration.expected) == []
    kept = {c["kind"] for c in migration.skipped}
    assert kept <= {"drop_table", "drop_column", "alter_type", "drop_pk", "add_pk"}
    execute_steps(conn, migration.down)
    assert _left(conn, a) == []
