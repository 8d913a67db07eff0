"""Cursor (keyset) pagination: stable, no OFFSET, a capped page size.

The cursor encodes the last row's ordering values; the next page is
`WHERE (key1, id) < (v1, id1)` on an index, so page 10,000 costs what page 1 does.
"""

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import BadRequest
from django.db.models import Field, Q, QuerySet
from django.http import HttpRequest

from dashboard.platform.json_input import json_loads

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class BadCursor(BadRequest, ValueError):
    """The cursor (or page size) was not one this server issued. Django answers
    it with a 400 (config.urls.handler400: a page, or problem+json under /api/),
    so no view catches it."""


@dataclass
class Page:
    items: list
    next_cursor: str | None
    page_size: int


def clamp_page_size(raw: str | int | None, default: int = DEFAULT_PAGE_SIZE) -> int:
    try:
        size = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise BadCursor("page_size must be a whole number") from exc
    return max(1, min(size, MAX_PAGE_SIZE))


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, n: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json_loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise BadCursor("The cursor is not valid; start again without one.") from exc
    if not isinstance(values, list) or len(values) != n:
        raise BadCursor("The cursor is not valid; start again without one.")
    return values


def keyset_page(
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...],
    cursor: str | None,
    page_size: int,
) -> Page:
    """One page of `queryset` ordered by `ordering` (all descending, or all
    ascending; the last field must be unique, usually "-id")."""
    fields = [f.lstrip("-") for f in ordering]
    descending = ordering[0].startswith("-")
    if cursor:
        values = _decode(cursor, len(fields))
        for i, field in enumerate(fields):
            model_field = queryset.model._meta.get_field(field.split("__")[0])
            values[i] = _cursor_value(model_field, values[i])
        condition = Q()
        # (a, b, c) < (x, y, z)  ==  a<x OR (a=x AND b<y) OR (a=x AND b=y AND c<z)
        for i, field in enumerate(fields):
            op = "lt" if descending else "gt"
            clause = Q(**{f"{field}__{op}": values[i]})
            for j in range(i):
                clause &= Q(**{fields[j]: values[j]})
            condition |= clause
        if values[0] is not None:
            # Implied by the OR, but an index can start from it: without it
            # PostgreSQL scans the index from the first row and filters every
            # row above the cursor away, so page N costs N pages.
            bound = "lte" if descending else "gte"
            condition = Q(**{f"{fields[0]}__{bound}": values[0]}) & condition
        queryset = queryset.filter(condition)
    rows = list(queryset.order_by(*ordering)[: page_size + 1])
    return page_from_rows(rows, ordering=ordering, page_size=page_size)


def page_from_rows(rows: list, *, ordering: tuple[str, ...], page_size: int) -> Page:
    """The page of up to `page_size + 1` rows read in `ordering` (objects or
    dicts): the first `page_size`, and a cursor after them if there are more."""
    fields = [f.lstrip("-") for f in ordering]
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = _encode([_value(last, f) for f in fields])
    return Page(items=rows, next_cursor=next_cursor, page_size=page_size)


_INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "ForeignKey",  # the related row's integer key
}


def _cursor_value(model_field: Field, value: Any) -> Any:
    """One decoded cursor value, checked against its field's type: a forged
    cursor (`["garbage", 1]`, `[5, 1]`) is a BadCursor, never a database error."""
    kind = model_field.get_internal_type()
    if value is None and model_field.null:
        return None
    if kind == "DateTimeField":
        if isinstance(value, str) and "\x00" not in value:
            try:
                stamp = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                if stamp.tzinfo is not None:
                    return stamp
    elif kind in _INTEGER_TYPES:
        # bool is an int to Python, not to the cursor; ±2**63 is what bigint holds.
        if type(value) is int and -(2**63) <= value < 2**63:
            return value
    elif (
        kind in ("CharField", "TextField", "SlugField")
        and isinstance(value, str)
        and "\x00" not in value
    ):
        return value
    raise BadCursor("The cursor is not valid; start again without one.")


def _value(obj: Any, field: str) -> Any:
    for part in field.split("__"):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def page_of(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...],
    page_size: int | None = None,
) -> Page:
    """The page of `queryset` that the request's ?cursor and ?page_size ask for
    (a fixed `page_size` ignores the query's). A forged cursor raises BadCursor."""
    return keyset_page(
        queryset,
        ordering=ordering,
        cursor=request.GET.get("cursor"),
        page_size=page_size or clamp_page_size(request.GET.get("page_size")),
    )
