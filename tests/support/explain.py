"""EXPLAIN helpers for cost budgets on PostgreSQL."""

import json

from django.db import connections
from django.db.models import QuerySet


def explain_plan(queryset: QuerySet) -> dict:
    """The planner's JSON plan (root node) for a queryset, without running it."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
    doc = json.loads(raw) if isinstance(raw, str) else raw
    return doc[0]["Plan"]


def explain_cost(queryset: QuerySet) -> float:
    """The planner's total cost: deterministic for a given schema and statistics."""
    return float(explain_plan(queryset)["Total Cost"])


def plan_node_types(queryset: QuerySet) -> set[str]:
    """Every node type in the plan ("Index Scan", "Seq Scan", …) with its relation."""
    found: set[str] = set()

    def walk(node: dict) -> None:
        relation = node.get("Relation Name")
        found.add(
            f"{node['Node Type']} on {relation}" if relation else node["Node Type"]
        )
        for child in node.get("Plans", []):
            walk(child)

    walk(explain_plan(queryset))
    return found


def plan_nodes_of_sql(sql: str, params=None, *, using: str = "default") -> list[dict]:
    """Every node of the planner's plan for raw SQL, each with its node type,
    relation, index and index condition (for asserting what an index serves)."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        raw = cursor.fetchone()[0]
    doc = json.loads(raw) if isinstance(raw, str) else raw
    nodes: list[dict] = []

    def walk(node: dict) -> None:
        nodes.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(doc[0]["Plan"])
    return nodes
