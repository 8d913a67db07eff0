"""Django's PostgreSQL backend, with timestamps read by psycopg's C loader.

Django registers its own `timestamptz` loader on every connection: a subclass
of psycopg's pure-Python loader that replaces each value's tzinfo with the
connection's zone (Django ticket #36960; psycopg's C loader is final, so Django
cannot subclass it). Every timestamp of every query is then parsed in Python,
about 9 µs each on the benchmark machine: a runs page of 50 rows spent 0.9 ms
on its 102 timestamps, a 90-day panel far more.

When the connection's zone is UTC (USE_TZ with no per-database TIME_ZONE, which
is how this project runs) the C loader already returns what Django's would:
the session's TimeZone is set to UTC by Django, and psycopg gives
`datetime.timezone.utc` values for it, the very tzinfo Django puts there. So
for UTC connections the connection's adapters load `timestamptz` with the C
loader; any other zone keeps Django's loader, unchanged.
tests/platform/test_timestamp_loader.py holds the two equal.
"""

import datetime
import functools

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import is_psycopg3

if is_psycopg3:
    from psycopg import adapt, adapters
    from psycopg.pq import Format


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        if is_psycopg3 and self.timezone is datetime.UTC:
            params["context"] = _with_c_loader(params["context"])
        return params


if is_psycopg3:

    class UtcTimestamptzLoader:
        """psycopg's own `timestamptz` loader (its C one when psycopg-binary or
        psycopg-c is installed), under a class that tells Django which zone
        it gives: Django's create_cursor() compares `loader.timezone` with the
        connection's and installs its Python loader on the cursor only when
        they differ."""

        timezone = datetime.UTC
        format = Format.TEXT
        _loader = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)

        def __new__(cls, oid: int, context: object = None):
            return cls._loader(oid, context)

    @functools.cache
    def _with_c_loader(template: "adapt.AdaptersMap") -> "adapt.AdaptersMap":
        """Django's adapters for the connection, with psycopg's loader for
        `timestamptz` (made once per template: Django caches its template)."""
        context = adapt.AdaptersMap(template)
        context.register_loader("timestamptz", UtcTimestamptzLoader)
        return context
