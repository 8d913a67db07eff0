"""Sessions kept in the database and read through the cache (SESSION_ENGINE).

Django's cached_db store, with every cache call behind the cache breaker
(dashboard.platform.caching): a page read costs a Redis GET instead of a
database query, and with Redis down sessions are read from and written to the
database alone, as panels are built from it, without a request waiting on
Redis each time. A cached session lives at most SESSION_CACHE_SECONDS: a
logout while Redis was unreachable (its row deleted, the cached copy not) is
forgotten by then at the latest.
"""

from django.conf import settings
from django.contrib.sessions.backends import cached_db

from dashboard.platform.caching import guarded


class _GuardedCache:
    """The calls cached_db makes on its cache, each through the breaker."""

    def __init__(self, cache) -> None:
        self._cache = cache

    def get(self, key: str):
        return guarded(lambda: self._cache.get(key), default=None)

    def set(self, key: str, value, timeout: int | None = None) -> None:
        timeout = min(
            timeout or settings.SESSION_CACHE_SECONDS, settings.SESSION_CACHE_SECONDS
        )
        guarded(lambda: self._cache.set(key, value, max(timeout, 1)), default=None)

    def delete(self, key: str) -> None:
        guarded(lambda: self._cache.delete(key), default=None)

    def __contains__(self, key: str) -> bool:
        return guarded(lambda: key in self._cache, default=False)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = _GuardedCache(self._cache)
