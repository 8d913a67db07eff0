"""Untrusted JSON text parsed with a nesting limit: no body, form field or cursor
reaches a RecursionError (a 500) however deep its brackets go."""

import json
from typing import Any

# Bodies hold JSON documents (query plans) of up to api_types.JSON_MAX_DEPTH
# levels (deeper is a 422 naming the field, from the schema); past this limit,
# well short of a RecursionError, the body is refused whole (400).
MAX_JSON_DEPTH = 512


class JsonTooDeep(ValueError):
    """The text is JSON nested deeper than MAX_JSON_DEPTH."""

    def __init__(self, max_depth: int):
        super().__init__(f"nested deeper than {max_depth} levels")


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in item)
    return False


def json_loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, raising JsonTooDeep (a ValueError) past `max_depth` levels.
    Other errors are json.loads's own (ValueError, UnicodeDecodeError)."""
    opening = b"[{" if isinstance(text, bytes | bytearray) else "[{"
    # Cheap bound first: fewer brackets than the limit cannot nest past it.
    brackets = text.count(opening[0:1]) + text.count(opening[1:2])
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTooDeep(max_depth) from None
    if brackets > max_depth and _depth_exceeds(value, max_depth):
        raise JsonTooDeep(max_depth)
    return value
