"""ORM queries compiled to SQL once per process, then run with new values.

Building and compiling a queryset costs Django far more than PostgreSQL spends
running the cheap queries of a dashboard panel: about a third of a cold perf
panel's time went to `filter()`, `annotate()` and `as_sql()` for a statement
whose text never changes, only its values (the domain, the range's start).

`compiled_once(build)` turns a function returning a `values_list()` queryset
into one returning its rows as tuples. On the first call for a shape, `build`
runs with a sentinel in place of each value argument (ints, strings, floats,
datetimes, dates, durations); the compiled statement's parameters are searched
for the sentinels, and every later call with that shape runs the same text with
the caller's values in their places. The shape is the function, which value
arguments are None (a missing bound changes the WHERE clause) and the keyword
arguments of `shape` (e.g. the chart step, inlined in the statement). A value
that does not come out as a parameter of its own (inlined, or transformed by a
lookup such as `__icontains`) is a TypeError on that first call: such an
argument belongs in `shape`. A builder must write the same statement whatever
the values (bar their None-ness): one that branches on a value would reuse the
branch of its first call, which the check below catches in tests.

The rows come straight from the cursor, as the panels' per_point() reads
them: on PostgreSQL psycopg gives ints, floats, Decimals and aware datetimes
(config/postgresql) as the ORM would. On other databases (SQLite under a bare
`make run`) the ORM runs the query as usual, converters and all.

With settings.COMPILED_SQL_CHECK (the test suite) every call also compiles
the ORM query with the real values and raises if the reused statement differs,
so every test that reads a panel proves the reuse equal to the ORM.
"""

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connections, router
from django.db.models import QuerySet

# Values whose sentinels survive the ORM as they are (one parameter each).
_SENTINELS: dict[type, Callable[[int], object]] = {
    # Within PostgreSQL's integer: Django turns an out-of-range integer lookup
    # into an empty result, which would change the statement.
    int: lambda i: 2_146_000_000 + i,
    str: lambda i: f"\x1fcompiled-once-{i}\x1f",
    float: lambda i: 1.0e300 + i * 1.0e285,
    datetime: lambda i: datetime(1901, 2, 3, 4, 5, 6, 789_000 + i, tzinfo=UTC),
    date: lambda i: date(1901, 2, 3) + timedelta(days=i),
    timedelta: lambda i: timedelta(days=12_345, microseconds=i),
}


class _Slot:
    """The position of a caller's value among a statement's parameters."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def compiled_once(
    build: Callable[..., QuerySet],
) -> Callable[..., list[tuple]]:
    """`build(**values, **shape)` returns a values_list() queryset; the result,
    called with the same values and `shape=` a dict of the rest, returns its
    rows as tuples."""
    statements: dict[tuple, tuple[str, list, type]] = {}

    @functools.wraps(build)
    def rows(*, shape: dict | None = None, **values) -> list[tuple]:
        shape = shape or {}
        key = (
            tuple(sorted((name, value is None) for name, value in values.items())),
            tuple(sorted(shape.items())),
        )
        statement = statements.get(key)
        if statement is None:
            query = build(**values, **shape)
            if connections[query.db].vendor != "postgresql":
                return list(query)  # the ORM's way, converters and all
            statement = statements[key] = _compile(build, values, shape)
        sql, slots, model = statement
        connection = connections[router.db_for_read(model)]
        params = [values[s.name] if isinstance(s, _Slot) else s for s in slots]
        if settings.COMPILED_SQL_CHECK:
            _check(build(**values, **shape), sql, params)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    rows.build = build  # the ORM queryset itself (tests compare their rows)
    return rows


def _compile(build: Callable[..., QuerySet], values: dict, shape: dict):
    sentinels = {}
    for i, (name, value) in enumerate(sorted(values.items())):
        if value is None:
            continue
        make = _SENTINELS.get(type(value))
        if make is None:
            raise TypeError(
                f"compiled_once: {name}={value!r} is a {type(value).__name__}; "
                "pass it in shape= (it is part of the statement)"
            )
        sentinels[name] = make(i)
    template = build(**{**values, **sentinels}, **shape)
    sql, params = template.query.sql_with_params()
    slots: list = []
    found = set()
    for param in params:
        name = next(
            (n for n, s in sentinels.items() if type(param) is type(s) and param == s),
            None,
        )
        if name is None:
            slots.append(param)
        else:
            slots.append(_Slot(name))
            found.add(name)
    # Inlined as well (a slice, a literal): its first value would stay in the
    # statement for every later call.
    missing = sorted(
        (set(sentinels) - found) | {n for n, s in sentinels.items() if str(s) in sql}
    )
    if missing:
        raise TypeError(
            f"compiled_once: {', '.join(missing)} did not become a parameter of "
            "its own (inlined or transformed by a lookup); pass it in shape="
        )
    return sql, slots, template.model


def _check(query: QuerySet, sql: str, params: list) -> None:
    expected = query.query.sql_with_params()
    if (sql, tuple(params)) != (expected[0], tuple(expected[1])):
        raise AssertionError(
            "compiled_once: the reused statement differs from the ORM's:\n"
            f"{sql} {params!r}\n{expected[0]} {expected[1]!r}"
        )
