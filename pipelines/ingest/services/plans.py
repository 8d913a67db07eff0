"""Query plans: EXPLAIN (FORMAT JSON) as PostgreSQL prints it, reduced on
ingest to the numbers and node set gates judge."""

from dataclasses import dataclass

from django.db import transaction

from dashboard.domains.models import Domain, Repository
from dashboard.platform.cleaning import finite
from dashboard.platform.upserts import Upserted
from pipelines.ingest.models import QueryPlan
from pipelines.ingest.services.runs import evidence_upsert


class PlanError(ValueError):
    """Not an EXPLAIN (FORMAT JSON) document (422 to the client)."""


@dataclass(frozen=True)
class PlanSummary:
    startup_cost: float
    total_cost: float
    plan_rows: float | None
    actual_total_time_ms: float | None
    execution_time_ms: float | None
    analyzed: bool
    buffers: bool
    nodes: list[list[str]]
    seq_scan_relations: list[str]


def plan_summarize(document: object) -> PlanSummary:
    """Accept `[{"Plan": …}]` (what psql prints), `{"Plan": …}`, or a bare plan
    node; return its cost, timings and every (node type, relation)."""
    if isinstance(document, list):
        if len(document) != 1 or not isinstance(document[0], dict):
            raise PlanError(
                "Expected the one-element list EXPLAIN (FORMAT JSON) prints."
            )
        document = document[0]
    if not isinstance(document, dict):
        raise PlanError("Expected a JSON object or list from EXPLAIN (FORMAT JSON).")
    root = document.get("Plan", document)
    if not isinstance(root, dict) or "Node Type" not in root:
        raise PlanError('The plan has no "Plan" with a "Node Type".')
    if "Startup Cost" not in root or "Total Cost" not in root:
        raise PlanError(
            'The root node needs numeric "Startup Cost" and "Total Cost" '
            "(EXPLAIN without COSTS OFF)."
        )
    nodes: set[tuple[str, str]] = set()
    seq: set[str] = set()
    buffers = False
    stack = [root]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > 100_000:
            raise PlanError("The plan has more than 100,000 nodes.")
        if not isinstance(node, dict) or "Node Type" not in node:
            raise PlanError('Every plan node needs a "Node Type".')
        relation = str(node.get("Relation Name") or "")
        nodes.add((str(node["Node Type"]), relation))
        if node["Node Type"] in ("Seq Scan", "Parallel Seq Scan") and relation:
            seq.add(relation)
        for key in NUMERIC_KEYS:
            _number(node, key, seen)
        buffers = buffers or "Shared Hit Blocks" in node
        children = node.get("Plans") or []
        if not isinstance(children, list):
            raise PlanError('"Plans" must be a list of nodes.')
        stack.extend(children)
    analyzed = "Actual Total Time" in root or "Actual Loops" in root
    execution = (
        _number(document, "Execution Time", None) if "Plan" in document else None
    )
    return PlanSummary(
        startup_cost=_number(root, "Startup Cost", 1),
        total_cost=_number(root, "Total Cost", 1),
        plan_rows=_number(root, "Plan Rows", 1),
        actual_total_time_ms=_number(root, "Actual Total Time", 1),
        execution_time_ms=execution,
        analyzed=analyzed,
        buffers=buffers,
        nodes=[list(pair) for pair in sorted(nodes)],
        seq_scan_relations=sorted(seq),
    )


# The numbers a plan node carries that we read; each must be finite if present
# (float() takes "NaN", "Infinity" and "1e400", which no gate can judge).
NUMERIC_KEYS = ("Startup Cost", "Total Cost", "Plan Rows", "Actual Total Time")


def _number(node: dict, key: str, position: int | None) -> float | None:
    """`node[key]` as a finite float (None when absent), or a PlanError naming
    the node: its position in the walk, type and relation."""
    value = node.get(key)
    if value is None:
        return None
    number = finite(value)
    if number is None:
        if position is None:
            where = "The plan"
        else:
            relation = node.get("Relation Name")
            on = f" on {relation}" if relation else ""
            where = f"Plan node {position} ({node.get('Node Type')}{on})"
        raise PlanError(
            f'{where}: "{key}" must be a finite number (got {str(value)[:40]!r}).'
        )
    return number


@transaction.atomic
def query_plan_record(
    *,
    domain: Domain,
    repository: Repository,
    query_name: str,
    commit_sha: str,
    plan: object,
    branch: str = "",
    service: str = "",
) -> Upserted[QueryPlan]:
    """One plan per (repository, commit, service, query): a re-run replaces it."""
    summary = plan_summarize(plan)
    values = {
        "domain": domain,
        "branch": branch,
        "plan": plan,
        "analyzed": summary.analyzed,
        "buffers": summary.buffers,
        "startup_cost": summary.startup_cost,
        "total_cost": summary.total_cost,
        "plan_rows": summary.plan_rows,
        "actual_total_time_ms": summary.actual_total_time_ms,
        "execution_time_ms": summary.execution_time_ms,
        "nodes": summary.nodes,
        "seq_scan_relations": summary.seq_scan_relations,
    }
    return evidence_upsert(
        QueryPlan,
        lookup={
            "repository": repository,
            "commit_sha": commit_sha,
            "service": service,
            "query_name": query_name,
        },
        values=values,
        repository_id=repository.pk,
        sha=commit_sha,
    )
