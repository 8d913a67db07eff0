"""Query-count assertions that print the SQL when they fail, and a scaling check."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connections
from django.test.utils import CaptureQueriesContext


class QueryCountError(AssertionError):
    pass


@contextmanager
def assert_num_queries(
    expected: int, *, using: tuple[str, ...] = ("default", "replica")
) -> Iterator[list[dict]]:
    """Exactly `expected` queries across the aliases; the SQL is printed if not."""
    contexts = [CaptureQueriesContext(connections[alias]) for alias in using]
    for ctx in contexts:
        ctx.__enter__()
    captured: list[dict] = []
    try:
        yield captured
    finally:
        for ctx in contexts:
            ctx.__exit__(None, None, None)
            captured.extend(ctx.captured_queries)
    if len(captured) != expected:
        sql = "\n".join(f"  {i + 1}. {q['sql']}" for i, q in enumerate(captured))
        raise QueryCountError(
            f"expected {expected} queries, ran {len(captured)}:\n{sql}"
        )


def count_queries(
    call: Callable[[], object], *, using: tuple[str, ...] = ("default", "replica")
) -> tuple[int, str]:
    contexts = [CaptureQueriesContext(connections[alias]) for alias in using]
    for ctx in contexts:
        ctx.__enter__()
    try:
        call()
    finally:
        for ctx in contexts:
            ctx.__exit__(None, None, None)
    queries = [q["sql"] for ctx in contexts for q in ctx.captured_queries]
    return len(queries), "\n".join(f"  {i + 1}. {q}" for i, q in enumerate(queries))


def assert_constant_queries(
    make_rows: Callable[[int], object], call: Callable[[], object], *, n: int = 5
) -> int:
    """The same number of queries with N rows as with 2N rows (no N+1), both
    counted after a first call has filled the per-process and per-user caches
    (the navigation, a user's access to a domain): what the rows change is
    counted, not whether a cache was warm. A cache that the rows' changes
    renew is missed in both counts alike."""
    call()
    make_rows(n)
    first, first_sql = count_queries(call)
    make_rows(n)
    second, second_sql = count_queries(call)
    if first != second:
        raise QueryCountError(
            f"query count grows with the data: {first} with {n} rows, {second} with "
            f"{2 * n}.\nWith {n}:\n{first_sql}\nWith {2 * n}:\n{second_sql}"
        )
    return first
