"""Field types for /api/v1 schemas: each carries the limits of the column it is
stored in, so bad input is a 422 naming the field, never a database error (500).

- integers within the column's range (`NonNegativeInt32` for PositiveIntegerField…);
- floats finite (no NaN, no Infinity, no 1e400 read as Infinity);
- timestamps ISO 8601 with an offset, between 1970 and 9999;
- strings without NUL characters (PostgreSQL refuses them) and within max_length;
- commit shas as 7 to 64 hexadecimal digits, lower-cased;
- pin tags: a pin id as the pins file spells it, a pin version as 12 or 64 hex;
- JSON documents (stored in jsonb) without NUL characters or non-finite numbers.

`InputSchema` is the base of request bodies: a null or "" for an optional field
means "not given", as the API has always read it.
"""

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dashboard.platform.json_input import json_loads

INT32_MAX = 2_147_483_647  # IntegerField, PositiveIntegerField
INT64_MAX = 9_223_372_036_854_775_807  # BigIntegerField, BigAutoField
TIMESTAMP_MIN = datetime(1970, 1, 1, tzinfo=UTC)
# A day short of the end of year 9999, so no time zone's local time overflows.
TIMESTAMP_MAX = datetime(9999, 12, 31, tzinfo=UTC)
JSON_MAX_DEPTH = 200


# --- Integers ---------------------------------------------------------------------
# Strict: "2", 2.0 and true are not whole numbers.
NonNegativeInt32 = Annotated[int, Strict(), Field(ge=0, le=INT32_MAX)]
PositiveInt32 = Annotated[int, Strict(), Field(ge=1, le=INT32_MAX)]
NonNegativeInt64 = Annotated[int, Strict(), Field(ge=0, le=INT64_MAX)]
PositiveInt64 = Annotated[int, Strict(), Field(ge=1, le=INT64_MAX)]

# --- Floats -----------------------------------------------------------------------
# Strict: a number, not "1.5" nor true; whole numbers are accepted as floats.
FiniteFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]


# --- Strings ----------------------------------------------------------------------
def _number_as_text(value: Any) -> Any:
    # CI systems send build numbers as numbers; they are identifiers all the same.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Must not contain NUL characters.")
    return value


def Text(max_length: int, *, min_length: int = 0) -> Any:
    """A string of at most `max_length` characters (the column's), no NUL."""
    return Annotated[
        str,
        BeforeValidator(_number_as_text),
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


def _web_url(value: str) -> str:
    if value and not value.startswith(("https://", "http://")):
        raise PydanticCustomError("web_url", "An http(s) URL.")
    return value


def WebUrl(max_length: int) -> Any:
    """An http(s) URL as text (a URLField's column)."""
    return Annotated[Text(max_length), AfterValidator(_web_url)]


def _commit_sha(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("commit_sha", "A commit sha (a string).")
    if not 7 <= len(value) <= 64 or any(
        c not in "0123456789abcdefABCDEF" for c in value
    ):
        raise PydanticCustomError("commit_sha", "A commit sha: 7 to 64 hex digits.")
    return value.lower()


CommitSha = Annotated[
    str,
    BeforeValidator(_commit_sha),
    WithJsonSchema({"type": "string", "pattern": "^[0-9a-fA-F]{7,64}$"}),
]


# --- Pin tags ---------------------------------------------------------------------
# A model or prompt pin (pipelines/pins): its id as the pins file spells it, and
# a version as the pins API and the logs give it (the content hash, 64 hex, or
# its first 12 hex). Here, not in pipelines, so the SLOs' API can take them too.
PIN_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$"
PIN_VERSION_PATTERN = r"^(?:[0-9a-f]{12}|[0-9a-f]{64})$"
_PIN_ID_RE = re.compile(PIN_ID_PATTERN)
_PIN_VERSION_RE = re.compile(PIN_VERSION_PATTERN)


def _pin_id(value: Any) -> str:
    if not isinstance(value, str) or not _PIN_ID_RE.match(value):
        raise PydanticCustomError(
            "pin_id",
            "A pin id as in the pins file: lowercase letters, digits, '.', '_' "
            "or '-', 1–100 characters, starting and ending with a letter or digit.",
        )
    return value


def _pin_version(value: Any) -> str:
    if not isinstance(value, str) or not _PIN_VERSION_RE.match(value.lower()):
        raise PydanticCustomError(
            "pin_version",
            "A pin version: its 64 hex digits (`version` in GET /api/v1/pins/"
            "{owner}/{name}/{pin_id}/current) or their first 12.",
        )
    return value.lower()


PinId = Annotated[
    str,
    BeforeValidator(_pin_id),
    WithJsonSchema({"type": "string", "pattern": PIN_ID_PATTERN, "maxLength": 100}),
]
PinVersionTag = Annotated[
    str,
    BeforeValidator(_pin_version),
    WithJsonSchema(
        {"type": "string", "pattern": "^(?:[0-9a-fA-F]{12}|[0-9a-fA-F]{64})$"}
    ),
]


def pin_tag_check(pin_id: str | None, pin_version: str | None) -> None:
    """A version names a version of some pin: without the pin it says nothing."""
    if pin_version is not None and pin_id is None:
        raise PydanticCustomError(
            "pin_tag",
            "pin_version was given without pin_id: name the pin the version "
            "belongs to (both, or pin_id alone, or neither).",
        )


# --- Timestamps -------------------------------------------------------------------
def _timestamp(value: Any) -> Any:
    hint = "An ISO 8601 time with its offset, e.g. 2026-02-28T12:00:00Z."
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("timestamp", hint) from None
    else:
        raise PydanticCustomError("timestamp", hint)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError("timestamp", hint)
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not TIMESTAMP_MIN <= in_utc <= TIMESTAMP_MAX:
        raise PydanticCustomError(
            "timestamp_range", "A time from 1970-01-01 to 9999-12-31 (UTC)."
        )
    return parsed


AwareDatetime = Annotated[datetime, BeforeValidator(_timestamp)]

# Responses write times as datetime.isoformat() does (+00:00), as they always have.
IsoDatetime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


# --- JSON documents -----------------------------------------------------------------
def _representable(number: float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an integer beyond any double
        return False


def _json_document(value: Any) -> Any:
    """Walk the document: jsonb refuses NUL characters, JSON has no NaN."""
    if not isinstance(value, dict | list):
        raise PydanticCustomError("json_document", "A JSON object or array.")
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise PydanticCustomError(
                "json_depth", f"Nested deeper than {JSON_MAX_DEPTH} levels."
            )
        if isinstance(item, str):
            _no_nul(item)
        elif isinstance(item, int | float) and not _representable(item):
            raise PydanticCustomError(
                "finite_number",
                "Numbers must be finite (no NaN or Infinity) and fit a double.",
            )
        elif isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return value


def _json_text(value: Any) -> Any:
    """A document pasted as the string psql prints is read as JSON."""
    if isinstance(value, str):
        try:
            return json_loads(value)
        except (ValueError, RecursionError):
            raise PydanticCustomError("json_invalid", "Not JSON.") from None
    return value


JsonDocument = Annotated[
    Any,
    BeforeValidator(_json_text),
    AfterValidator(_json_document),
    WithJsonSchema({"type": ["object", "array"]}),
]


# --- Request bodies -------------------------------------------------------------------
class InputSchema(BaseModel):
    """Base of request bodies. Unknown fields are ignored; null or "" for an
    optional field means it was not given (its default applies).

    A plain pydantic model, not ninja.Schema: that one reads its input through
    attribute getters (for ORM objects), which a JSON body does not need.
    """

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {
            key: value
            for key, value in data.items()
            if not (
                value in (None, "")
                and key in cls.model_fields
                and not cls.model_fields[key].is_required()
            )
        }
