"""Normalizing a graph: the portable types (and PostgreSQL's spellings of them),
defaults, and every problem listed at once."""

import pytest

from pipelines.drift.schema import SchemaInvalid, default_from_sql, schema_normalize
from pipelines.drift.types import parse_type


@pytest.mark.parametrize(
    ("spelling", "portable", "postgres"),
    [
        ("varchar(200)", "varchar(200)", "character varying(200)"),
        ("character varying(200)", "varchar(200)", "character varying(200)"),
        ("NUMERIC(12, 2)", "numeric(12,2)", "numeric(12,2)"),
        ("timestamp with time zone", "timestamptz", "timestamp with time zone"),
        ("int8", "bigint", "bigint"),
        ("double precision", "double", "double precision"),
        ("jsonb", "jsonb", "jsonb"),
    ],
)
def test_types_read_both_ways(spelling, portable, postgres):
    parsed = parse_type(spelling)
    assert str(parsed) == portable
    assert parsed.postgres() == postgres


def test_varchar_takes_max_length():
    assert str(parse_type("varchar", max_length=40)) == "varchar(40)"


@pytest.mark.parametrize(
    ("expr", "type_name", "tagged"),
    [
        ("'it''s'::text", "text", "lit:it's"),
        ("'x'::character varying", "varchar(3)", "lit:x"),
        ("0", "integer", "num:0"),
        ("'-1'::integer", "integer", "num:-1"),
        ("(-1)", "integer", "num:-1"),
        ("true", "boolean", "bool:true"),
        ("now()", "timestamptz", "fn:now()"),
        ("CURRENT_DATE", "date", "fn:current_date"),
        (
            "nextval('orders_id_seq'::regclass)",
            "bigint",
            "sql:nextval('orders_id_seq'::regclass)",
        ),
    ],
)
def test_defaults_as_postgresql_prints_them(expr, type_name, tagged):
    assert default_from_sql(expr, type_name) == tagged


def test_every_problem_is_listed():
    document = {
        "entities": [
            {"name": "a", "fields": [{"name": "id", "type": "serial8"}]},
            {
                "name": "b",
                "fields": [
                    {"name": "x", "type": "text"},
                    {"name": "x", "type": "text"},
                    {"name": "a_id", "type": "bigint"},
                ],
                "indexes": [{"name": "b_idx", "fields": ["nope"]}],
                "foreign_keys": [
                    {
                        "fields": ["a_id"],
                        "references": {"entity": "ghost", "fields": ["id"]},
                    }
                ],
            },
            {"name": "b", "fields": [{"name": "y", "type": "text"}]},
        ]
    }
    with pytest.raises(SchemaInvalid) as caught:
        schema_normalize(document)
    errors = caught.value.errors
    text = "\n".join(errors)
    assert "unknown type 'serial8'" in text
    assert "duplicate field name 'x'" in text
    assert "duplicate entity name 'b'" in text
    assert "unknown field(s) 'nope'" in text
    assert "unknown entity 'ghost' (dangling)" in text
    assert len(errors) == 5


def test_a_foreign_key_must_reference_a_key():
    document = {
        "entities": [
            {
                "name": "a",
                "fields": [
                    {"name": "id", "type": "bigint", "primary_key": True},
                    {"name": "code", "type": "text"},
                ],
            },
            {
                "name": "b",
                "fields": [{"name": "a_code", "type": "text"}],
                "foreign_keys": [
                    {
                        "fields": ["a_code"],
                        "references": {"entity": "a", "fields": ["code"]},
                    }
                ],
            },
        ]
    }
    with pytest.raises(SchemaInvalid, match="neither its primary key nor unique"):
        schema_normalize(document)
