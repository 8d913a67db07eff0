"""Rows of weird-but-valid data for the proof: a few per table, chosen by type
(extremes, Unicode, quotes, leap days, empty strings, NUL-free binary zeros).

Row i of every table uses the same value per type, so a foreign key column
(of the same type as what it references) points at row i of its parent."""

from decimal import Decimal

from psycopg import sql

from pipelines.drift.types import parse_type

ROWS = 3
WEIRD_TEXT = "ünïcødé ☃ 'quoted' \"double\" \\ back; -- not a comment\n\ttab"
VALUES: dict[str, list] = {
    "smallint": [0, -32768, 32767],
    "integer": [0, -32768, 32767],
    "bigint": [0, -32768, 32767],
    "real": [0.0, -1.5, 3.0e38],
    "double": [0.0, -1.5, 1.0e308],
    "boolean": [False, True, False],
    "timestamptz": [
        "1970-01-01 00:00:00+00",
        "2024-02-29 23:59:59.999999+14",
        "9999-12-31 23:59:59+00",
    ],
    "timestamp": [
        "1970-01-01 00:00:00",
        "2024-02-29 23:59:59.999999",
        "9999-12-31 00:00:00",
    ],
    "date": ["1970-01-01", "2024-02-29", "9999-12-31"],
    "time": ["00:00:00", "23:59:59.999999", "12:34:56"],
    "uuid": [
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "01234567-89ab-cdef-0123-456789abcdef",
    ],
    "jsonb": ["{}", '{"ü": [1, null, "☃"], "nested": {"a": []}}', "[]"],
    "json": ["{}", '{"ü": [1, null, "☃"], "nested": {"a": []}}', "[]"],
    "bytea": [b"", b"\x00\xff\x00", b"weird"],
}


def value_for(type_text: str, row: int):
    column_type = parse_type(type_text)
    name = column_type.name
    if name == "text":
        return ["", WEIRD_TEXT, "x" * 5000][row]
    if name in ("varchar", "char"):
        n = column_type.length
        return ["", WEIRD_TEXT[:n], "z" * n][row]
    if name == "numeric":
        if column_type.precision is None:
            return [
                Decimal(0),
                Decimal("-1.5e-20"),
                Decimal("12345678901234567890.123456789"),
            ][row]
        p, s = column_type.precision, column_type.scale or 0
        largest = Decimal(10) ** (p - s) - Decimal(10) ** -s
        return [Decimal(0), -largest, largest][row]
    return VALUES[name][row]


def _rows(schema: dict) -> int:
    # A unique or key boolean column only has two values.
    for entity in schema["entities"]:
        for column in entity["fields"]:
            if column["type"] == "boolean" and (
                column["unique"] or column["primary_key"]
            ):
                return 2
        for index in entity["indexes"]:
            types = {f["name"]: f["type"] for f in entity["fields"]}
            if index["unique"] and all(
                types.get(c) == "boolean" for c in index["fields"]
            ):
                return 2
    return ROWS


def insert_order(schema: dict) -> list[dict]:
    """Parents before children; a cycle of foreign keys cannot be seeded."""
    entities = {e["name"]: e for e in schema["entities"]}
    done: list[str] = []
    pending = sorted(entities)
    while pending:
        ready = [
            name
            for name in pending
            if all(
                k["references"]["entity"] in done or k["references"]["entity"] == name
                for k in entities[name]["foreign_keys"]
            )
        ]
        if not ready:
            raise ValueError(
                f"foreign keys form a cycle among {', '.join(pending)}: not seeded"
            )
        done += ready
        pending = [n for n in pending if n not in ready]
    return [entities[n] for n in done]


def seed(conn, schema_name: str, schema: dict) -> str:
    rows = _rows(schema)
    total = 0
    with conn.transaction():
        for entity in insert_order(schema):
            columns = entity["fields"]
            for row in range(rows):
                conn.execute(
                    sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                        sql.Identifier(schema_name, entity["name"]),
                        sql.SQL(", ").join(sql.Identifier(c["name"]) for c in columns),
                        sql.SQL(", ").join(
                            sql.SQL("{}::{}").format(
                                sql.Literal(value_for(c["type"], row)),
                                sql.SQL(parse_type(c["type"]).postgres()),
                            )
                            for c in columns
                        ),
                    )
                )
                total += 1
    return f"{total} row(s)"
