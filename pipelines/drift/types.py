"""The portable column types of entity graphs and snapshots, and their PostgreSQL
spelling: one table both ways (a graph says `varchar(200)`, the catalog says
`character varying(200)`; both read as the same portable type)."""

import re
from dataclasses import dataclass

# portable name -> PostgreSQL type (format_type() spelling, parameters appended)
SIMPLE_TYPES: dict[str, str] = {
    "text": "text",
    "smallint": "smallint",
    "integer": "integer",
    "bigint": "bigint",
    "real": "real",
    "double": "double precision",
    "boolean": "boolean",
    "timestamptz": "timestamp with time zone",
    "timestamp": "timestamp without time zone",
    "date": "date",
    "time": "time without time zone",
    "uuid": "uuid",
    "jsonb": "jsonb",
    "json": "json",
    "bytea": "bytea",
    "numeric": "numeric",
}
# Other spellings accepted on input (PostgreSQL's own and common aliases).
ALIASES: dict[str, str] = {
    "int": "integer",
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double",
    "double precision": "double",
    "bool": "boolean",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time without time zone": "time",
    "character varying": "varchar",
    "character": "char",
    "decimal": "numeric",
}
MAX_VARCHAR = 10_485_760  # PostgreSQL's limit for varchar(n)
MAX_NUMERIC_PRECISION = 1000

_PARAM_RE = re.compile(
    r"^([a-z][a-z0-9 ]*?)\s*\(\s*(\d{1,8})\s*(?:,\s*(\d{1,8})\s*)?\)$"
)

PORTABLE_TYPES_DOC = (
    "text, varchar(n), char(n), smallint, integer, bigint, numeric, numeric(p), "
    "numeric(p,s), real, double, boolean, timestamptz, timestamp, date, time, "
    "uuid, jsonb, json, bytea"
)

# Same family, wider: a change along one of these never loses data.
_INTEGER_WIDTH = {"smallint": 1, "integer": 2, "bigint": 3}


class UnknownType(ValueError):
    """Not a portable type; the message lists the ones there are."""


@dataclass(frozen=True)
class ColumnType:
    name: str  # portable base name: text, varchar, numeric, ...
    length: int | None = None  # varchar(n), char(n)
    precision: int | None = None  # numeric(p,s)
    scale: int | None = None

    def __str__(self) -> str:
        if self.name in ("varchar", "char"):
            return f"{self.name}({self.length})"
        if self.name == "numeric" and self.precision is not None:
            return f"numeric({self.precision},{self.scale or 0})"
        return self.name

    def postgres(self) -> str:
        """The PostgreSQL type, as DDL text (only ever built from this table)."""
        if self.name == "varchar":
            return f"character varying({self.length})"
        if self.name == "char":
            return f"character({self.length})"
        if self.name == "numeric" and self.precision is not None:
            return f"numeric({self.precision},{self.scale or 0})"
        return SIMPLE_TYPES[self.name]


def parse_type(text: str, *, max_length: int | None = None) -> ColumnType:
    """`varchar(200)`, `character varying(200)`, or `varchar` + max_length 200."""
    if not isinstance(text, str):
        raise UnknownType(f"{text!r} is not a type name")
    raw = " ".join(text.strip().lower().split())
    match = _PARAM_RE.match(raw)
    params: tuple[int, ...] = ()
    base = raw
    if match:
        base = match.group(1).strip()
        params = tuple(int(g) for g in match.groups()[1:] if g is not None)
    base = ALIASES.get(base, base)
    if base in ("varchar", "char"):
        if not params and max_length is not None:
            params = (max_length,)
        if len(params) != 1 or not 1 <= params[0] <= MAX_VARCHAR:
            raise UnknownType(
                f"{text!r}: {base} needs a length from 1 to {MAX_VARCHAR}, "
                f"e.g. {base}(200) or max_length"
            )
        return ColumnType(base, length=params[0])
    if base == "numeric":
        if not params:
            return ColumnType("numeric")
        precision, scale = params[0], params[1] if len(params) > 1 else 0
        if not 1 <= precision <= MAX_NUMERIC_PRECISION or not 0 <= scale <= precision:
            raise UnknownType(
                f"{text!r}: numeric(p,s) needs 1 ≤ p ≤ {MAX_NUMERIC_PRECISION} "
                "and 0 ≤ s ≤ p"
            )
        return ColumnType("numeric", precision=precision, scale=scale)
    if params or base not in SIMPLE_TYPES:
        raise UnknownType(
            f"unknown type {text!r}; the portable types: {PORTABLE_TYPES_DOC}"
        )
    return ColumnType(base)


def change_kind(before: ColumnType, after: ColumnType) -> str:
    """ "widen" (no value can be lost), "narrow" (same family, values may not fit)
    or "convert" (another family: values are cast and may be lost)."""
    if before == after:
        return "same"
    text_like = ("varchar", "char", "text")
    if before.name in ("varchar", "text") and after.name in ("varchar", "text"):
        if after.name == "text":
            return "widen"
        if before.name == "text":
            return "narrow"
        return "widen" if after.length >= before.length else "narrow"
    if before.name in text_like and after.name in text_like:
        return "narrow"  # char pads and trims blanks: treat as a check
    if before.name in _INTEGER_WIDTH and after.name in _INTEGER_WIDTH:
        wider = _INTEGER_WIDTH[after.name] > _INTEGER_WIDTH[before.name]
        return "widen" if wider else "narrow"
    if before.name in _INTEGER_WIDTH and after.name == "numeric":
        return "widen" if after.precision is None else "narrow"
    if before.name == "numeric" and after.name == "numeric":
        if after.precision is None:
            return "widen"
        if before.precision is None:
            return "narrow"
        integer_digits = (after.precision - (after.scale or 0)) >= (
            before.precision - (before.scale or 0)
        )
        return (
            "widen"
            if integer_digits and (after.scale or 0) >= (before.scale or 0)
            else "narrow"
        )
    if (before.name, after.name) in (("real", "double"), ("timestamp", "timestamptz")):
        return "widen"
    if (before.name, after.name) == ("json", "jsonb"):
        return "widen"
    return "convert"
