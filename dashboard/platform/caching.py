"""Cached panels with per-item TTL budgets, schema-versioned keys and a breaker.

Every cached thing is declared in CACHE_TTLS (the one place TTLs live). Keys carry
the schema version (a hash of the applied migrations), so after a deploy that
changes the schema no entry of the old shape is read. A pybreaker circuit breaker
wraps every cache call: when Redis refuses or times out CACHE_BREAKER_FAIL_MAX times
in a row, the cache is skipped for CACHE_BREAKER_RESET_SECONDS and pages are built
from the database without waiting for Redis.
"""

import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

import pybreaker
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections

logger = logging.getLogger(__name__)
T = TypeVar("T")

# name -> seconds. Add an entry here before caching anything new.
CACHE_TTLS: dict[str, int] = {
    "panel.ci_health": 120,
    "panel.perf": 300,
    "panel.query_plans": 300,
    "panel.gates": 60,
    "panel.flaky": 600,
    "panel.ingestion": 60,
    "panel.slos": 60,
    "panel.dora": 300,
    "panel.incidents": 60,
    "panel.pins": 30,
    "panel.drift": 60,
    # The domain's events for one range, shared by its annotated panels.
    "panel.annotations": 60,
    "domain.summary": 60,
    # Which domain a user may browse by slug (dashboard.domains.selectors), and
    # the token that every permission, membership or domain change renews.
    "domain.access": 60,
    # The navigation's domains of a user, under the same token.
    "domain.nav": 300,
    # The signed-in user's row (dashboard.domains.backends), under the same
    # token; short, as it bounds a renewal lost while Redis was unreachable.
    "auth.user": 60,
    "domain.access_version": 86_400,
    # One overview column for one set of domains (dashboard.board.overview).
    "overview.column": 60,
    # A rollup touch is queued for this domain (dashboard.board.rollups).
    "rollups.touch_pending": 30,
    # A DORA summary refresh is queued for this domain (incidents).
    "dora.summary_pending": 30,
    "readyz.probe": 5,
    # Counters (counter_incr): how long a window's count lives.
    "exports.per_user_hour": 3600,
}

_MISS = object()


class _LogListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state) -> None:
        if old_state is not None and old_state.name == new_state.name:
            return
        logger.warning(
            "cache breaker state change",
            extra={"old": old_state.name if old_state else None, "new": new_state.name},
        )


breaker = pybreaker.CircuitBreaker(
    fail_max=settings.CACHE_BREAKER_FAIL_MAX,
    reset_timeout=settings.CACHE_BREAKER_RESET_SECONDS,
    listeners=[_LogListener()],
    name="cache",
)

_schema_version: str | None = None


def schema_version() -> str:
    """A short hash of the applied migrations, computed once per process."""
    global _schema_version
    if _schema_version is None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
            rows = cursor.fetchall()
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        _schema_version = digest[:12]
    return _schema_version


def reset_schema_version() -> None:
    """Forget the computed version (after migrating in the same process)."""
    global _schema_version
    _schema_version = None


def cache_key(name: str, *parts: object) -> str:
    if name not in CACHE_TTLS:
        raise KeyError(f"{name!r} has no TTL in dashboard.platform.caching.CACHE_TTLS")
    tail = ":".join(str(p) for p in parts)
    return f"{schema_version()}:{name}:{tail}"


def cached(name: str, *parts: object, build: Callable[[], T]) -> T:
    """The cached value for (name, parts), built and stored on a miss.

    Any cache failure falls back to `build()`; the breaker makes repeated failures
    cheap. The value is never lost: a set that fails still returns what was built.
    """
    key = cache_key(name, *parts)
    value = guarded(lambda: cache.get(key, _MISS), default=_MISS)
    if value is not _MISS:
        return value
    value = build()
    guarded(lambda: cache.set(key, value, CACHE_TTLS[name]), default=None)
    return value


def cached_if_current(
    name: str, *parts: object, version: str, build: Callable[[], T | None]
) -> T | None:
    """Like cached(), for things that stay true until something else changes:
    the entry is stored with the current token of `version` (a CACHE_TTLS name
    without parts) and read back, in one round trip, only while that token is
    unchanged; `version_renew(version)` drops every such entry at once. A
    `build()` of None (nothing to keep, e.g. a refusal) is never stored, and
    nothing is cached unless every process shares the cache (a renewal
    elsewhere must reach this process's readers)."""
    if not _shared_by_every_process():
        # A change in another process (the worker, a shell, another server)
        # renews the token in that process's own memory only: never cache.
        return build()
    key, version_key = cache_key(name, *parts), cache_key(version)
    found = guarded(lambda: cache.get_many([key, version_key]), default=None)
    if found is None:  # no cache: straight from the database
        return build()
    token = found.get(version_key)
    entry = found.get(key)
    if token is not None and entry is not None and entry[0] == token:
        return entry[1]
    value = build()
    if value is not None:
        if token is None:
            token = uuid.uuid4().hex
            guarded(
                lambda: cache.add(version_key, token, CACHE_TTLS[version]), default=None
            )
            token = guarded(lambda: cache.get(version_key), default=None)
        if token is not None:
            stored = (token, value)
            guarded(lambda: cache.set(key, stored, CACHE_TTLS[name]), default=None)
    return value


def _shared_by_every_process() -> bool:
    """Whether the cache is one every process reads (Redis), not a copy per
    process (the local-memory cache of a bare `make run`)."""
    return not isinstance(caches["default"], LocMemCache)


def version_renew(version: str) -> None:
    """A new token for `version`: every entry stored under the old one is stale."""
    key, token = cache_key(version), uuid.uuid4().hex
    guarded(lambda: cache.set(key, token, CACHE_TTLS[version]), default=None)


def cached_with_source(
    name: str,
    parts: tuple,
    extra: tuple,
    *,
    build_source: Callable[[], object],
    build: Callable[[object], T],
) -> T:
    """A value derived from a cached source (a rendered fragment from a panel's
    data), both under `name`'s TTL: (name, *parts) holds the source and
    (name, *parts, *extra) the value. A hit reads the value alone (never the
    larger source); a miss reads the source, and stores what it built in one
    round trip instead of a write each."""
    source_key, key = cache_key(name, *parts), cache_key(name, *parts, *extra)
    value = guarded(lambda: cache.get(key, _MISS), default=_MISS)
    if value is not _MISS:
        return value
    built: dict[str, object] = {}
    source = guarded(lambda: cache.get(source_key, _MISS), default=_MISS)
    if source is _MISS:
        source = built[source_key] = build_source()
    value = built[key] = build(source)
    guarded(lambda: cache.set_many(built, CACHE_TTLS[name]), default=None)
    return value


def invalidate(name: str, *parts: object) -> None:
    key = cache_key(name, *parts)
    guarded(lambda: cache.delete(key), default=None)


def invalidate_many(keys: list[tuple]) -> None:
    """Drop several cached things, each given as (name, *parts), in one call."""
    names = [cache_key(*k) for k in keys]
    guarded(lambda: cache.delete_many(names), default=None)


def cache_add(name: str, *parts: object) -> bool:
    """Set (name, parts) unless it is set; True when this call set it, and also
    when the cache is unavailable (the caller then goes ahead)."""
    key = cache_key(name, *parts)
    return guarded(lambda: cache.add(key, 1, CACHE_TTLS[name]), default=True)


def counter_incr(name: str, *parts: object) -> int | None:
    """Add one to the counter (name, parts), which lives CACHE_TTLS[name]
    seconds from its first increment; its new value, or None when the cache is
    unavailable (the caller then counts some other way)."""
    key = cache_key(name, *parts)

    def incr() -> int:
        cache.add(key, 0, CACHE_TTLS[name])
        return cache.incr(key)

    return guarded(incr, default=None)


def guarded(call: Callable[[], T], *, default: T) -> T:
    """`call()` (a cache call) through the breaker; `default` when the breaker
    is open or the call fails (logged)."""
    try:
        return breaker.call(call)
    except pybreaker.CircuitBreakerError:
        return default
    except Exception as exc:  # redis.ConnectionError, TimeoutError, …
        logger.warning(
            "cache unavailable, serving from the database",
            extra={"error": f"{type(exc).__name__}: {exc}"},
        )
        return default


def cache_status() -> str:
    """ "ok", or "degraded" when the breaker is open or a probe fails."""
    if breaker.current_state == pybreaker.STATE_OPEN:
        return "degraded"
    try:
        breaker.call(lambda: cache.set("readyz:probe", "1", CACHE_TTLS["readyz.probe"]))
        return "ok"
    except Exception:
        return "degraded"
