"""Reads to the replica, writes to the primary, and read-your-writes pinning.

A request (or task) that has written, or whose user wrote within
READ_YOUR_WRITES_SECONDS (see PrimaryPinMiddleware), reads from the primary.
"""

from contextvars import ContextVar

_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)

# Tables that must never be read from a lagging copy: a session written at login
# has to be found by the very next request, and a failed login must count
# against the very next attempt (axes, login throttling).
PRIMARY_ONLY_APPS = {"sessions", "axes"}


def pin_to_primary() -> None:
    _pinned.set(True)


def unpin() -> None:
    _pinned.set(False)


def is_pinned() -> bool:
    return _pinned.get()


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if _pinned.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return "default"
        return "replica"

    def db_for_write(self, model, **hints) -> str:
        _pinned.set(True)
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Both aliases hold the same data, so relations across them are fine.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == "default"
