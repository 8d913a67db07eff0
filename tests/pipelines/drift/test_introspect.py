"""Introspection: read-only with a statement timeout, the catalog query as a
snapshot (management command and psql file), types outside the portable set
left out with a warning, DSNs scrubbed from messages."""

import io
import json
import shutil
import subprocess

import psycopg
import pytest
from django.core.management import call_command

from pipelines.drift.diff import schema_diff
from pipelines.drift.introspect import (
    SNAPSHOT_SQL_PATH,
    connect_read_only,
    schema_introspect,
    scrub,
)
from pipelines.drift.schema import schema_normalize
from pipelines.drift.services.proofs import execute_steps
from pipelines.drift.sql import build_steps
from tests.pipelines.drift.conftest import LIVE, normal


@pytest.fixture
def live_db(scratch_db):
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        execute_steps(conn, build_steps("public", normal(LIVE)))
    return scratch_db


def test_the_connection_cannot_write(live_db):
    with (
        connect_read_only(live_db, timeout_ms=5000) as conn,
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        conn.execute("CREATE TABLE intruder (id int)")


def test_a_slow_statement_is_stopped(live_db):
    with (
        connect_read_only(live_db, timeout_ms=100) as conn,
        pytest.raises(psycopg.errors.QueryCanceled),
    ):
        conn.execute("SELECT pg_sleep(2)")


def test_introspection_reads_back_what_was_built(live_db):
    with connect_read_only(live_db, timeout_ms=5000) as conn:
        schema, warnings = schema_introspect(conn, "public")
    assert schema_diff(schema, normal(LIVE)) == [] and warnings == []
    orders = schema["entities"][1]
    assert orders["foreign_keys"][0]["name"] == "orders_customer_id_fkey"


def test_types_outside_the_portable_set_are_left_out_with_a_warning(live_db):
    with psycopg.connect(live_db, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE customers ADD COLUMN last_ip inet, ADD COLUMN tags text[]"
        )
        schema, warnings = schema_introspect(conn, "public")
    assert schema_diff(schema, normal(LIVE)) == []
    assert warnings == [
        "customers.last_ip: type inet is not portable; left out of the comparison",
        "customers.tags: type text[] is not portable; left out of the comparison",
    ]


def test_the_snapshot_command_prints_a_postable_body(live_db, monkeypatch):
    monkeypatch.setenv("SNAP_DSN", live_db)
    out = io.StringIO()
    call_command(
        "drift_snapshot",
        "--dsn-env",
        "SNAP_DSN",
        "--target",
        "shop-db",
        "--repository",
        "shop/app",
        "--commit",
        "a" * 40,
        stdout=out,
    )
    body = json.loads(out.getvalue())
    assert body["target"] == "shop-db" and body["commit_sha"] == "a" * 40
    assert schema_diff(schema_normalize(body), normal(LIVE)) == []


def test_the_psql_file_prints_the_same_snapshot(live_db):
    psql = shutil.which("psql")
    if psql is None:
        pytest.fail(
            "psql is not installed; the documented psql query cannot be checked"
        )
    printed = subprocess.run(
        [
            psql,
            live_db,
            "-X",
            "-At",
            "-v",
            "schema=public",
            "-f",
            str(SNAPSHOT_SQL_PATH),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert schema_diff(schema_normalize(json.loads(printed)), normal(LIVE)) == []


def test_messages_lose_the_dsn_and_its_parts():
    dsn = "postgresql://app:hunter2-long@db.internal:5432/shop"
    message = (
        'connection to server at "db.internal" failed: password authentication '
        f'failed for user "app" using {dsn} with hunter2-long'
    )
    cleaned = scrub(message, dsn)
    assert "hunter2-long" not in cleaned and "db.internal" not in cleaned
    assert "postgresql://app" not in cleaned
