"""Permission denials counted in Redis per minute: one hash per minute whose
fields are `domain|status|action` (dashboard.platform.minute_counts). The
request path only increments; the beat task
`dashboard.roll_up_permission_denials` drains closed hashes into the database.
Every call answers None / nothing when Redis is away (the caller then writes to
the database)."""

from collections.abc import Iterator
from datetime import datetime

from dashboard.platform.minute_counts import MinuteCounts

_COUNTS = MinuteCounts("denials")


def field_of(*, domain_id: int | None, action: str, status: int) -> str:
    return f"{domain_id or ''}|{status}|{action}"


def parse(field: str | bytes) -> tuple[int | None, str, int]:
    if isinstance(field, bytes):
        field = field.decode()
    domain_id, status, action = field.split("|", 2)
    return (int(domain_id) if domain_id else None, action, int(status))


def incr(minute: datetime, field: str) -> int | None:
    """Count one denial; the minute's count for `field` so far, or None when
    Redis cannot count it."""
    counted = _COUNTS.incr(minute, {field: 1})
    return None if counted is None else counted[0]


def drain(*, before: datetime) -> Iterator[tuple[datetime, dict[bytes, int]]]:
    """Each minute before `before` with its counts (MinuteCounts.drain)."""
    return _COUNTS.drain(before=before)
