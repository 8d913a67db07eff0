"""One schema, normalized: what an entity graph, a snapshot and an introspected
database all become before they are compared.

The normal form is plain JSON (stored in jsonb, so lists keep their order):

    {"entities": [{"name", "fields": [{"name", "type", "nullable", "default",
      "primary_key", "unique"}], "indexes": [{"name", "fields", "unique"}],
      "foreign_keys": [{"fields", "references": {"entity", "fields"},
      "on_delete", "name"}]}]}

Entities sorted by name, fields in their given order, indexes by name, foreign
keys by their fields. `type` is the portable spelling (types.py); `default` is
a tagged string (see `default_parse`).
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pipelines.drift.types import UnknownType, parse_type

MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1 (bytes)
ON_DELETE = ("no action", "restrict", "cascade", "set null", "set default")
# Defaults that are function calls, as PostgreSQL prints them back (lowercased).
FUNCTIONS = {
    "now()": "now()",
    "current_timestamp": "current_timestamp",
    "current_date": "current_date",
    "gen_random_uuid()": "gen_random_uuid()",
}
NUMBER_RE = re.compile(r"^-?\d{1,30}(\.\d{1,30})?$")
_CAST_LITERAL_RE = re.compile(r"^'((?:[^']|'')*)'(?:::[a-z][a-z0-9 _\"().,]*)+$", re.S)
_NUMERIC_TYPES = ("smallint", "integer", "bigint", "numeric", "real", "double")


class SchemaInvalid(ValueError):
    """The document is not a consistent schema; `errors` lists every problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def identifier_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return "must be a non-empty string"
    if "\x00" in name:
        return "must not contain NUL characters"
    if len(name.encode()) > MAX_IDENTIFIER:
        return f"is longer than PostgreSQL's {MAX_IDENTIFIER} bytes"
    return None


# --- Defaults ------------------------------------------------------------------------
def default_from_value(value: Any, type_name: str) -> str | None:
    """A graph's default (a JSON scalar) as a tagged string:
    `fn:now()`, `bool:true`, `num:1.5`, `lit:text`; None for no default."""
    if value is None:
        return None
    if isinstance(value, bool):
        return f"bool:{'true' if value else 'false'}"
    if isinstance(value, int):
        return f"num:{value}"
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        if not NUMBER_RE.match(text):
            raise ValueError(f"default {value!r} is not a plain decimal number")
        return f"num:{text}"
    if isinstance(value, str):
        if value.strip().lower() in FUNCTIONS:
            return f"fn:{FUNCTIONS[value.strip().lower()]}"
        base = type_name.split("(")[0]
        if base in _NUMERIC_TYPES and NUMBER_RE.match(value.strip()):
            return f"num:{value.strip()}"
        if base == "boolean" and value.strip().lower() in ("true", "false"):
            return f"bool:{value.strip().lower()}"
        return f"lit:{value}"
    raise ValueError(f"default {value!r} must be a string, number, boolean or null")


def default_from_sql(expr: str | None, type_name: str) -> str | None:
    """A default as PostgreSQL prints it (pg_get_expr) as a tagged string.
    What has no portable form stays `sql:<expression>`: compared as text, never
    executed (see sql.py)."""
    if expr is None or not expr.strip():
        return None
    text = expr.strip()
    while text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1].strip()
    lowered = text.lower()
    if lowered in FUNCTIONS:
        return f"fn:{FUNCTIONS[lowered]}"
    if lowered in ("true", "false"):
        return f"bool:{lowered}"
    if NUMBER_RE.match(text):
        return f"num:{text}"
    match = _CAST_LITERAL_RE.match(text)
    if match:
        value = match.group(1).replace("''", "'")
        base = type_name.split("(")[0]
        if base in _NUMERIC_TYPES and NUMBER_RE.match(value):
            return f"num:{value}"
        if base == "boolean" and value.lower() in ("true", "false"):
            return f"bool:{value.lower()}"
        return f"lit:{value}"
    return f"sql:{text}"


def default_label(default: str | None) -> str:
    """For people: `'abc'`, `1.5`, `now()`, or the expression."""
    if default is None:
        return ""
    kind, _, value = default.partition(":")
    if kind == "lit":
        return "'" + value.replace("'", "''") + "'"
    return value


# --- Normalizing a document ---------------------------------------------------------
def _number_text(value: str) -> str:
    try:
        return format(Decimal(value), "f")
    except InvalidOperation:
        return value


def schema_normalize(document: dict) -> dict:
    """Check and normalize an entity graph or snapshot (the API's shape, already
    structurally valid). Raises SchemaInvalid listing every problem at once."""
    errors: list[str] = []
    entities_in = document.get("entities") or []
    seen_entities: dict[str, int] = {}
    entities: list[dict] = []
    for e_index, entity in enumerate(entities_in):
        where = f"entities[{e_index}]"
        name = entity.get("name")
        problem = identifier_problem(name)
        if problem:
            errors.append(f"{where}.name {problem}")
            continue
        if name in seen_entities:
            errors.append(
                f"{where}: duplicate entity name {name!r} "
                f"(also entities[{seen_entities[name]}])"
            )
            continue
        seen_entities[name] = e_index
        fields: list[dict] = []
        seen_fields: dict[str, int] = {}
        for f_index, field in enumerate(entity.get("fields") or []):
            f_where = f"{where}.fields[{f_index}]"
            f_name = field.get("name")
            problem = identifier_problem(f_name)
            if problem:
                errors.append(f"{f_where}.name {problem}")
                continue
            if f_name in seen_fields:
                errors.append(
                    f"{f_where}: duplicate field name {f_name!r} in entity "
                    f"{name!r} (also fields[{seen_fields[f_name]}])"
                )
                continue
            seen_fields[f_name] = f_index
            try:
                column_type = str(
                    parse_type(
                        field.get("type", ""), max_length=field.get("max_length")
                    )
                )
            except UnknownType as exc:
                errors.append(f"{f_where}.type: {exc}")
                continue
            try:
                if field.get("default_sql") not in (None, ""):
                    default = default_from_sql(field["default_sql"], column_type)
                else:
                    default = default_from_value(field.get("default"), column_type)
            except ValueError as exc:
                errors.append(f"{f_where}.default: {exc}")
                continue
            if default and default.startswith("num:"):
                default = "num:" + _number_text(default[4:])
            primary_key = bool(field.get("primary_key"))
            fields.append(
                {
                    "name": f_name,
                    "type": column_type,
                    "nullable": bool(field.get("nullable", False)) and not primary_key,
                    "default": default,
                    "primary_key": primary_key,
                    "unique": bool(field.get("unique")) and not primary_key,
                }
            )
        if not fields and not errors:
            errors.append(f"{where}: entity {name!r} has no fields")
        indexes: list[dict] = []
        for i_index, index in enumerate(entity.get("indexes") or []):
            i_where = f"{where}.indexes[{i_index}]"
            problem = identifier_problem(index.get("name"))
            if problem:
                errors.append(f"{i_where}.name {problem}")
                continue
            columns = list(index.get("fields") or [])
            missing = [c for c in columns if c not in seen_fields]
            if not columns:
                errors.append(f"{i_where}: index {index['name']!r} names no fields")
            if missing:
                errors.append(
                    f"{i_where}: index {index['name']!r} names unknown field(s) "
                    f"{', '.join(map(repr, missing))} of entity {name!r}"
                )
            indexes.append(
                {
                    "name": index["name"],
                    "fields": columns,
                    "unique": bool(index.get("unique")),
                }
            )
        entities.append(
            {
                "name": name,
                "fields": fields,
                "indexes": indexes,
                "foreign_keys": list(entity.get("foreign_keys") or []),
            }
        )
    # Index names are per schema in PostgreSQL, not per table.
    seen_indexes: dict[str, str] = {}
    for entity in entities:
        for index in entity["indexes"]:
            if index["name"] in seen_indexes:
                errors.append(
                    f"duplicate index name {index['name']!r} (entities "
                    f"{seen_indexes[index['name']]!r} and {entity['name']!r})"
                )
            seen_indexes[index["name"]] = entity["name"]
        entity["indexes"].sort(key=lambda i: i["name"])
    by_name = {e["name"]: e for e in entities}
    for entity in entities:
        own = {f["name"]: f for f in entity["fields"]}
        checked = []
        seen_keys: set = set()
        for k_index, fk in enumerate(entity["foreign_keys"]):
            k_where = f"entity {entity['name']!r} foreign_keys[{k_index}]"
            columns = list(fk.get("fields") or [])
            ref = fk.get("references") or {}
            ref_entity, ref_columns = ref.get("entity"), list(ref.get("fields") or [])
            on_delete = " ".join(
                str(fk.get("on_delete") or "no action").lower().split()
            )
            on_delete = on_delete.replace("_", " ")
            bad = [c for c in columns if c not in own]
            if not columns:
                errors.append(f"{k_where} names no fields")
            if bad:
                errors.append(
                    f"{k_where} names unknown field(s) {', '.join(map(repr, bad))}"
                )
            target = by_name.get(ref_entity)
            if target is None:
                errors.append(
                    f"{k_where} references unknown entity {ref_entity!r} (dangling)"
                )
            else:
                theirs = {f["name"]: f for f in target["fields"]}
                missing = [c for c in ref_columns if c not in theirs]
                if missing or not ref_columns:
                    errors.append(
                        f"{k_where} references unknown field(s) "
                        f"{', '.join(map(repr, missing)) or '(none given)'} of "
                        f"entity {ref_entity!r} (dangling)"
                    )
                elif not bad and len(ref_columns) != len(columns):
                    errors.append(
                        f"{k_where} has {len(columns)} field(s) but references "
                        f"{len(ref_columns)}"
                    )
                elif not bad and not _is_key(target, ref_columns):
                    errors.append(
                        f"{k_where} references {ref_entity!r}"
                        f"({', '.join(ref_columns)}), which is neither its primary "
                        "key nor unique"
                    )
            if on_delete not in ON_DELETE:
                errors.append(
                    f"{k_where}.on_delete {fk.get('on_delete')!r} is not one of "
                    f"{', '.join(ON_DELETE)}"
                )
            key = (tuple(columns), ref_entity, tuple(ref_columns))
            if key in seen_keys:
                errors.append(f"{k_where} repeats another foreign key")
            seen_keys.add(key)
            checked.append(
                {
                    "fields": columns,
                    "references": {"entity": ref_entity, "fields": ref_columns},
                    "on_delete": on_delete,
                    "name": fk.get("name") or "",
                }
            )
        checked.sort(key=fk_key)
        entity["foreign_keys"] = checked
    if errors:
        raise SchemaInvalid(errors)
    entities.sort(key=lambda e: e["name"])
    return {"entities": entities}


def _is_key(entity: dict, columns: list[str]) -> bool:
    pk = [f["name"] for f in entity["fields"] if f["primary_key"]]
    if sorted(pk) == sorted(columns):
        return True
    if len(columns) == 1 and any(
        f["name"] == columns[0] and f["unique"] for f in entity["fields"]
    ):
        return True
    return any(
        i["unique"] and sorted(i["fields"]) == sorted(columns)
        for i in entity["indexes"]
    )


def fk_key(fk: dict) -> str:
    """A foreign key's identity: its columns and what they reference."""
    return (
        f"({','.join(fk['fields'])})->{fk['references']['entity']}"
        f"({','.join(fk['references']['fields'])})"
    )


def empty_schema() -> dict:
    return {"entities": []}
