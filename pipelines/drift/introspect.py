"""Reading a live schema from PostgreSQL's catalogs (snapshot.sql), read-only,
with a statement timeout; and keeping DSNs out of every message."""

import contextlib
import re
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from pipelines.drift.schema import schema_normalize
from pipelines.drift.types import UnknownType, parse_type

SNAPSHOT_SQL_PATH = Path(__file__).with_name("snapshot.sql")
SNAPSHOT_SQL = SNAPSHOT_SQL_PATH.read_text()
_QUERY = SNAPSHOT_SQL.replace(":'schema'", "%(schema)s")


def snapshot_document(conn: psycopg.Connection, schema: str) -> dict:
    """The raw snapshot (what `psql -f snapshot.sql` prints), as a dict."""
    with conn.cursor() as cursor:
        cursor.execute(_QUERY, {"schema": schema})
        return cursor.fetchone()[0]


def supported_only(document: dict) -> tuple[dict, list[str]]:
    """Drop columns of types outside the portable set (and what names them),
    saying which: a live database may use types no entity graph can name."""
    warnings: list[str] = []
    for entity in document["entities"]:
        dropped = set()
        kept = []
        for column in entity["fields"]:
            try:
                parse_type(column["type"])
                kept.append(column)
            except UnknownType:
                dropped.add(column["name"])
                warnings.append(
                    f"{entity['name']}.{column['name']}: type {column['type']} is "
                    "not portable; left out of the comparison"
                )
        entity["fields"] = kept
        entity["indexes"] = [
            i for i in entity["indexes"] if not dropped & set(i["fields"] or [])
        ]
        entity["foreign_keys"] = [
            k for k in entity["foreign_keys"] if not dropped & set(k["fields"] or [])
        ]
    for entity in document["entities"]:
        others = {
            e["name"]: {f["name"] for f in e["fields"]} for e in document["entities"]
        }
        entity["foreign_keys"] = [
            k
            for k in entity["foreign_keys"]
            if set(k["references"]["fields"] or [])
            <= others.get(k["references"]["entity"], set())
        ]
    return document, warnings


def schema_introspect(conn: psycopg.Connection, schema: str) -> tuple[dict, list[str]]:
    """The schema's normal form (schema.py) and what was left out."""
    document, warnings = supported_only(snapshot_document(conn, schema))
    normalized = schema_normalize(document)
    _keep_names(normalized, document)
    return normalized, warnings


def _keep_names(normalized: dict, raw: dict) -> None:
    """Constraint names as they are live (needed to drop them), beside the
    normal form (not compared)."""
    raw_entities = {e["name"]: e for e in raw["entities"]}
    for entity in normalized["entities"]:
        source = raw_entities[entity["name"]]
        if source.get("pk_name"):
            entity["pk_name"] = source["pk_name"]
        names = {f["name"]: f.get("unique_name") for f in source["fields"]}
        for column in entity["fields"]:
            if names.get(column["name"]):
                column["unique_name"] = names[column["name"]]


def connect_read_only(dsn: str, *, timeout_ms: int) -> psycopg.Connection:
    """A connection that cannot write (`default_transaction_read_only`) and whose
    statements stop after `timeout_ms`."""
    options = (
        f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_ms)} "
        f"-c lock_timeout={int(timeout_ms)}"
    )
    return psycopg.connect(dsn, options=options, connect_timeout=10, autocommit=False)


def scrub(message: str, dsn: str) -> str:
    """`message` without the DSN or any of its parts (password, user, host…)."""
    secrets = {dsn}
    with contextlib.suppress(psycopg.ProgrammingError):
        secrets |= {
            str(v) for k, v in conninfo_to_dict(dsn).items() if v and len(str(v)) > 2
        }
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, "…")
    return re.sub(r"postgres(?:ql)?://\S+", "postgres://…", message)
