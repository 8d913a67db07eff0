"""Timestamps read through psycopg's C loader (config/postgresql) are the values
Django's own loader gives: same instants, same tzinfo object, same errors."""

import datetime

import pytest
from django.db import DataError, connections
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from hypothesis import given
from hypothesis import strategies as st

from pipelines.ingest.models import Run
from tests.pipelines.factories import RunFactory

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


def _fetch(sql: str, params=None, alias: str = "default"):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _django_loaded(text: str) -> datetime.datetime:
    """What Django's own loader makes of a timestamptz's text."""

    class DjangoUtcLoader(BaseTzLoader):
        timezone = datetime.UTC

    return DjangoUtcLoader(1184, connections["default"].connection).load(text.encode())


@pytest.mark.parametrize("alias", ["default", "replica"])
def test_both_connections_load_timestamps_in_c(alias):
    connection = connections[alias]
    connection.ensure_connection()
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        loader = cursor.cursor._tx.get_loader(1184, 0)
    # psycopg-binary's class, not a Python one (Django's parses every value in
    # Python, about ten times as slow).
    assert type(loader).__module__.startswith("psycopg_binary"), type(loader)


@given(
    st.datetimes(
        min_value=datetime.datetime(1, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.just(datetime.UTC),
    )
)
def test_any_instant_loads_as_djangos_loader_would(instant):
    ((loaded, text),) = _fetch(
        "SELECT %s::timestamptz, %s::timestamptz::text", [instant, instant]
    )
    assert loaded == instant == _django_loaded(text)
    assert loaded.tzinfo is datetime.UTC is _django_loaded(text).tzinfo


def test_model_fields_read_back_what_was_saved():
    started = datetime.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=datetime.UTC)
    run = RunFactory(started_at=started)
    again = Run.objects.using("default").get(pk=run.pk)
    assert again.started_at == started
    assert again.started_at.tzinfo is datetime.UTC


def test_an_infinite_timestamp_is_still_a_clear_error():
    with pytest.raises(DataError, match="timestamp too large"):
        _fetch("SELECT 'infinity'::timestamptz")
