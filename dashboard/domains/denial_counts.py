"""Permission denials counted in Redis per minute: one hash per minute whose
fields are `domain|status|action`. The request path only increments; the beat
task `dashboard.roll_up_permission_denials` drains closed hashes into the
database. Every call answers None / nothing when Redis is away (the caller then
writes to the database), behind the cache's circuit breaker."""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from django.core.cache import cache

from dashboard.platform.caching import breaker

logger = logging.getLogger(__name__)

INDEX = "denials:minutes"  # the minutes that have a hash
KEEP_SECONDS = 7 * 24 * 3600  # a hash nobody drains does not live forever
_MINUTE = "%Y%m%d%H%M"


def _redis():
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except (ImportError, NotImplementedError):  # not a Redis cache (locmem)
        return None


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
    redis = _redis()
    if redis is None:
        return None
    stamp = f"{minute:{_MINUTE}}"
    key = cache.make_key(f"denials:{stamp}")

    def call() -> int:
        pipe = redis.pipeline()
        pipe.hincrby(key, field, 1)
        pipe.expire(key, KEEP_SECONDS)
        pipe.sadd(cache.make_key(INDEX), stamp)
        return int(pipe.execute()[0])

    try:
        return breaker.call(call)
    except Exception as exc:  # breaker open, ConnectionError, TimeoutError…
        logger.warning(
            "denial not counted in redis, writing it to the database",
            extra={"error": f"{type(exc).__name__}: {exc}"},
        )
        return None


def drain(*, before: datetime) -> Iterator[tuple[datetime, dict[bytes, int]]]:
    """Each minute before `before` with its counts, taken out of Redis. A minute
    is renamed aside first, so increments arriving meanwhile start a fresh hash;
    the aside copy is deleted only when the consumer asks for the next minute
    (after its database transaction committed), so a crash loses nothing: the
    copy is taken up again on the next run (a crash between that commit and the
    delete counts the minute twice: at least once, never lost)."""
    redis = _redis()
    if redis is None:
        return
    index = cache.make_key(INDEX)
    try:
        stamps = sorted(breaker.call(redis.smembers, index))
    except Exception as exc:  # nothing to drain while Redis is away
        logger.warning(
            "denial counts not rolled up: redis unavailable",
            extra={"error": f"{type(exc).__name__}: {exc}"},
        )
        return
    for raw in stamps:
        stamp = raw.decode()
        minute = datetime.strptime(stamp, _MINUTE).replace(tzinfo=UTC)
        if minute >= before:
            continue
        key = cache.make_key(f"denials:{stamp}")
        aside = f"{key}:rolling"
        # A copy left aside by a run that died is taken up first.
        if not redis.exists(aside) and not (
            redis.exists(key) and redis.renamenx(key, aside)
        ):
            redis.srem(index, stamp)
            continue
        counts = {field: int(n) for field, n in redis.hgetall(aside).items()}
        yield minute, counts
        redis.delete(aside)
        redis.srem(index, stamp)
        if redis.exists(key):  # late increments of that minute: next run
            redis.sadd(index, stamp)
