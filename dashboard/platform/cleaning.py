"""Values from outside made storable: finite numbers, text PostgreSQL accepts,
strings and integers that fit their column, JSON without NaN.

Every capability's worker uses these before it writes what a payload or a
document said, so a value a column cannot hold is cleaned (with a note) or
refused with a reason, never a database error on the worker.
"""

import contextlib
import logging
import math
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.db import connection, models

logger = logging.getLogger(__name__)

# NUL (PostgreSQL text cannot hold it) and lone UTF-16 surrogates (not UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

_notes: ContextVar[list[str] | None] = ContextVar("cleaning_notes", default=None)


class Unstorable(ValueError):
    """A value no column can hold and no cleaning can save (an id out of range)."""


@contextlib.contextmanager
def notes_collected() -> Iterator[list[str]]:
    """Collect the notes `note()` makes inside the block (for the row's reason)."""
    notes: list[str] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)


def note(message: str, **extra: object) -> None:
    """Say that a value was cleaned: logged, and kept if a caller collects."""
    logger.warning("value cleaned: %s", message, extra=extra)
    collected = _notes.get()
    if collected is not None and message not in collected:
        collected.append(message)


def finite(value: object) -> float | None:
    """`value` as a finite float, or None for what is not one ("NaN", "1e400",
    "Infinity", a huge integer, a non-number)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def text_clean(value: str) -> str:
    """Drop NUL characters; lone surrogates become U+FFFD."""
    if not _UNSTORABLE.search(value):
        return value
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def text_fit(value: str, limit: int | None, *, what: str = "text") -> str:
    """Clean `value` and cut it to `limit` characters (with a note)."""
    value = text_clean(value)
    if limit is not None and len(value) > limit:
        note(f"{what} cut from {len(value):,} to {limit:,} characters")
        value = value[:limit]
    return value


def json_clean(value: Any) -> Any:
    """A copy of `value` that a JSON column accepts: strings cleaned, non-finite
    floats as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, dict):
        return {text_clean(str(k)): json_clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_clean(v) for v in value]
    return value


def integer_range(field: models.Field) -> tuple[int, int] | None:
    internal = field.get_internal_type()
    if "Integer" not in internal and internal != "AutoField":
        return None
    return connection.ops.integer_field_range(internal)


def fit(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """`values` for `model`'s columns: text cleaned and cut to its max_length,
    an integer beyond its column null when the column allows it (with a note),
    otherwise Unstorable. Keys that are not concrete fields pass unchanged."""
    fitted = {}
    for key, value in values.items():
        try:
            field = model._meta.get_field(key)
        except Exception:  # FieldDoesNotExist, or a lookup such as "domain_id"
            fitted[key] = value
            continue
        what = f"{model.__name__}.{key}"
        if isinstance(value, str):
            value = text_fit(value, getattr(field, "max_length", None), what=what)
        elif isinstance(value, int) and not isinstance(value, bool):
            bounds = integer_range(field)
            if bounds and not (
                (bounds[0] is None or value >= bounds[0])
                and (bounds[1] is None or value <= bounds[1])
            ):
                if not field.null:
                    raise Unstorable(f"{what} {value} is out of range.")
                note(f"{what} {value} is out of range; stored as unknown")
                value = None
        elif isinstance(value, float) and isinstance(field, models.FloatField):
            value = finite(value)
        fitted[key] = value
    return fitted
