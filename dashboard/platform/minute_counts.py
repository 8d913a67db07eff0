"""Counters per minute in Redis: one hash per (name, minute) whose fields a
request path increments, drained into the database by a beat task once the
minute is over. Every call answers None / nothing when Redis is away, behind
the cache's circuit breaker; the caller decides what that costs."""

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from django.core.cache import cache

from dashboard.platform.caching import breaker

logger = logging.getLogger(__name__)

KEEP_SECONDS = 7 * 24 * 3600  # a hash nobody drains does not live forever
_MINUTE = "%Y%m%d%H%M"


def _redis():
    try:
        from django_redis import get_redis_connection

        return get_redis_connection("default")
    except (ImportError, NotImplementedError):  # not a Redis cache (locmem)
        return None


class MinuteCounts:
    """The per-minute hashes called `name` (`<name>:<YYYYmmddHHMM>`), and the set
    `<name>:minutes` of the minutes that have one."""

    def __init__(self, name: str):
        self.name = name

    def _key(self, stamp: str) -> str:
        return cache.make_key(f"{self.name}:{stamp}")

    def incr(self, minute: datetime, fields: Mapping[str, int]) -> list[int] | None:
        """Add to the minute's fields; their counts so far (in the order given),
        or None when Redis cannot count them."""
        redis = _redis()
        if redis is None or not fields:
            return None
        stamp = f"{minute:{_MINUTE}}"
        key = self._key(stamp)

        def call() -> list[int]:
            pipe = redis.pipeline()
            for field, n in fields.items():
                pipe.hincrby(key, field, n)
            pipe.expire(key, KEEP_SECONDS)
            pipe.sadd(cache.make_key(f"{self.name}:minutes"), stamp)
            return [int(n) for n in pipe.execute()[: len(fields)]]

        try:
            return breaker.call(call)
        except Exception as exc:  # breaker open, ConnectionError, TimeoutError…
            logger.warning(
                "not counted in redis",
                extra={"counter": self.name, "error": f"{type(exc).__name__}: {exc}"},
            )
            return None

    def drain(self, *, before: datetime) -> Iterator[tuple[datetime, dict[bytes, int]]]:
        """Each minute before `before` with its counts, taken out of Redis. A
        minute is renamed aside first, so increments arriving meanwhile start a
        fresh hash (yielded again by a later run: add, never replace); the aside
        copy is deleted only when the consumer asks for the next minute (after
        its database transaction committed), so a crash loses nothing: the copy
        is taken up again on the next run (a crash between that commit and the
        delete counts the minute twice: at least once, never lost)."""
        redis = _redis()
        if redis is None:
            return
        index = cache.make_key(f"{self.name}:minutes")
        try:
            stamps = sorted(breaker.call(redis.smembers, index))
        except Exception as exc:  # nothing to drain while Redis is away
            logger.warning(
                "counts not rolled up: redis unavailable",
                extra={"counter": self.name, "error": f"{type(exc).__name__}: {exc}"},
            )
            return
        for raw in stamps:
            stamp = raw.decode()
            minute = datetime.strptime(stamp, _MINUTE).replace(tzinfo=UTC)
            if minute >= before:
                continue
            key = self._key(stamp)
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
