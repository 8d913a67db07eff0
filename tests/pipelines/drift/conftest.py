"""Fixtures for schema drift: throwaway PostgreSQL databases (unique names,
dropped afterwards), sample entity graphs, a domain with a target and token."""

import copy
import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dashboard.domains import services as dashboard_services
from pipelines.drift.schema import schema_normalize
from pipelines.drift.services import documents
from tests.factories import DomainFactory, RepositoryFactory


def server_conninfo() -> str:
    """The test PostgreSQL server's maintenance database (throwaway databases
    are made from there)."""
    from django.db import connections

    db = connections["default"].settings_dict
    params = {
        "dbname": "postgres",
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or "127.0.0.1",
        "port": str(db.get("PORT") or 5432),
    }
    return make_conninfo(**{k: v for k, v in params.items() if v})


# A live schema: customers and orders (with a foreign key, an index, defaults).
LIVE = {
    "entities": [
        {
            "name": "customers",
            "fields": [
                {"name": "id", "type": "bigint", "primary_key": True},
                {"name": "email", "type": "varchar", "max_length": 200, "unique": True},
                {"name": "nickname", "type": "text", "nullable": True},
                {"name": "legacy_code", "type": "integer", "nullable": True},
            ],
        },
        {
            "name": "orders",
            "fields": [
                {"name": "id", "type": "bigint", "primary_key": True},
                {"name": "customer_id", "type": "bigint"},
                {"name": "total", "type": "numeric(12,2)", "default": 0},
                {"name": "placed_at", "type": "timestamptz", "default": "now()"},
                {"name": "note", "type": "text", "nullable": True, "default": "it's"},
            ],
            "indexes": [{"name": "orders_placed_at_idx", "fields": ["placed_at"]}],
            "foreign_keys": [
                {
                    "fields": ["customer_id"],
                    "references": {"entity": "customers", "fields": ["id"]},
                    "on_delete": "cascade",
                }
            ],
        },
    ]
}


def graph_with(**edits) -> dict:
    """LIVE changed: a new table, a nullable column, an index (additive); a
    NOT NULL (tightening); by default nothing destructive."""
    graph = copy.deepcopy(LIVE)
    customers, orders = graph["entities"]
    if edits.get("additive", True):
        orders["fields"].append(
            {"name": "coupon", "type": "varchar(40)", "nullable": True}
        )
        orders["indexes"].append({"name": "orders_coupon_idx", "fields": ["coupon"]})
        graph["entities"].append(
            {
                "name": "refunds",
                "fields": [
                    {
                        "name": "id",
                        "type": "uuid",
                        "primary_key": True,
                        "default": "gen_random_uuid()",
                    },
                    {"name": "order_id", "type": "bigint"},
                    {"name": "reason", "type": "text", "default": ""},
                ],
                "foreign_keys": [
                    {
                        "fields": ["order_id"],
                        "references": {"entity": "orders", "fields": ["id"]},
                    }
                ],
            }
        )
    if edits.get("tightening"):
        customers["fields"][2]["nullable"] = False  # nickname NOT NULL
    if edits.get("destructive"):
        del customers["fields"][3]  # legacy_code dropped
    return graph


def normal(document: dict) -> dict:
    return schema_normalize(copy.deepcopy(document))


@pytest.fixture
def scratch_db():
    """A throwaway database with a unique name; dropped afterwards."""
    name = f"cp_drift_test_{uuid.uuid4().hex[:12]}"
    server = server_conninfo()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conninfo = make_conninfo(server, dbname=name)
    try:
        yield conninfo
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


@pytest.fixture
def drift_domain(db):
    domain = DomainFactory(slug="catalogue")
    RepositoryFactory(domain=domain, full_name="shop/app", default_branch="main")
    return domain


@pytest.fixture
def target(drift_domain):
    return documents.schema_target_add(domain=drift_domain, name="shop-db")


@pytest.fixture
def schema_token(drift_domain) -> str:
    return dashboard_services.ingest_token_create(
        domain=drift_domain, name="schema", scopes=["schema"]
    ).plaintext
