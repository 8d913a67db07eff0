"""Writes for performance and query-plan budgets: a domain's budgets are one JSON
document (so a team can keep it in its repository and apply it from CI)."""

import math
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from dashboard.domains.models import Domain
from dashboard.domains.services import audit_record
from pipelines.gates.models import PerfBudget, QueryPlanBudget

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.]{0,127}$")
MAX_BUDGETS = 500  # per kind and domain: a document, not a data store

PERF_FIELDS = {
    "service",
    "scenario",
    "p95_ms_max",
    "memory_mb_max",
    "max_regression_pct",
}
PLAN_FIELDS = {"service", "query_name", "max_total_cost", "no_seq_scan_tables"}


class BudgetDocumentError(ValueError):
    """The document is not a valid budgets document; the message says where."""


@dataclass(frozen=True)
class BudgetDocument:
    perf: list[dict[str, Any]]
    query_plans: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"perf": self.perf, "query_plans": self.query_plans}


def _text(
    item: dict, key: str, where: str, *, max_length: int, pattern=None, hint=""
) -> str:
    value = item.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BudgetDocumentError(f"{where}.{key} must be a string (got {value!r}).")
    value = value.strip()
    if "\x00" in value:  # PostgreSQL refuses NUL characters in text
        raise BudgetDocumentError(f"{where}.{key} must not contain NUL characters.")
    if len(value) > max_length:
        raise BudgetDocumentError(
            f"{where}.{key} is longer than {max_length} characters."
        )
    if value and pattern is not None and not pattern.match(value):
        raise BudgetDocumentError(f"{where}.{key} {value!r} is not valid: {hint}")
    return value


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float (JSON allows it)
        return False


def _limit(item: dict, key: str, where: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not _finite(value)
        or value < 0
    ):
        raise BudgetDocumentError(
            f"{where}.{key} must be a number ≥ 0 or null (got {value!r})."
        )
    return float(value)


def _items(document: dict, key: str, fields: set[str]) -> list[tuple[str, dict]]:
    items = document.get(key, [])
    if not isinstance(items, list):
        raise BudgetDocumentError(f"{key} must be a list of budgets.")
    if len(items) > MAX_BUDGETS:
        raise BudgetDocumentError(
            f"{key} has {len(items)} budgets; at most {MAX_BUDGETS}."
        )
    checked = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise BudgetDocumentError(f"{where} must be an object.")
        unknown = sorted(set(item) - fields)
        if unknown:
            raise BudgetDocumentError(
                f"{where} has unknown field {unknown[0]!r}; known fields: "
                f"{', '.join(sorted(fields))}."
            )
        checked.append((where, item))
    return checked


def budget_document_parse(document: Any) -> BudgetDocument:
    """Validate a budgets document; BudgetDocumentError says exactly what is wrong."""
    if not isinstance(document, dict):
        raise BudgetDocumentError(
            'The body must be a JSON object: {"perf": [...], "query_plans": [...]}.'
        )
    unknown = sorted(set(document) - {"perf", "query_plans"})
    if unknown:
        raise BudgetDocumentError(
            f"Unknown top-level field {unknown[0]!r}; use 'perf' and 'query_plans'."
        )
    service_hint = "use the service's slug (lowercase letters, digits, hyphens)."
    perf: list[dict[str, Any]] = []
    seen: dict[tuple, str] = {}
    for where, item in _items(document, "perf", PERF_FIELDS):
        budget = {
            "service": _text(
                item,
                "service",
                where,
                max_length=50,
                pattern=SLUG_RE,
                hint=service_hint,
            ),
            "scenario": _text(item, "scenario", where, max_length=200),
            "p95_ms_max": _limit(item, "p95_ms_max", where),
            "memory_mb_max": _limit(item, "memory_mb_max", where),
            "max_regression_pct": _limit(item, "max_regression_pct", where),
        }
        if all(budget[k] is None for k in PERF_FIELDS - {"service", "scenario"}):
            raise BudgetDocumentError(
                f"{where} sets no limit; give p95_ms_max, memory_mb_max or "
                "max_regression_pct."
            )
        key = (budget["service"], budget["scenario"])
        if key in seen:
            raise BudgetDocumentError(
                f"{where} repeats service {key[0]!r} and scenario {key[1]!r} "
                f"of {seen[key]}."
            )
        seen[key] = where
        perf.append(budget)
    plans: list[dict[str, Any]] = []
    seen = {}
    for where, item in _items(document, "query_plans", PLAN_FIELDS):
        tables = item.get("no_seq_scan_tables") or []
        if not isinstance(tables, list) or not all(
            isinstance(t, str) and TABLE_RE.match(t) for t in tables
        ):
            raise BudgetDocumentError(
                f"{where}.no_seq_scan_tables must be a list of table names "
                f"(got {tables!r})."
            )
        budget = {
            "service": _text(
                item,
                "service",
                where,
                max_length=50,
                pattern=SLUG_RE,
                hint=service_hint,
            ),
            "query_name": _text(item, "query_name", where, max_length=200),
            "max_total_cost": _limit(item, "max_total_cost", where),
            "no_seq_scan_tables": sorted(set(tables)),
        }
        if budget["max_total_cost"] is None and not budget["no_seq_scan_tables"]:
            raise BudgetDocumentError(
                f"{where} sets no limit; give max_total_cost or no_seq_scan_tables."
            )
        key = (budget["service"], budget["query_name"])
        if key in seen:
            raise BudgetDocumentError(
                f"{where} repeats service {key[0]!r} and query_name {key[1]!r} "
                f"of {seen[key]}."
            )
        seen[key] = where
        plans.append(budget)
    return BudgetDocument(perf=perf, query_plans=plans)


def budget_document_of(domain: Domain) -> BudgetDocument:
    """The domain's budgets as a document (what GET /api/v1/budgets returns)."""
    perf = [
        {
            "service": b.service,
            "scenario": b.scenario,
            "p95_ms_max": b.p95_ms_max,
            "memory_mb_max": b.memory_mb_max,
            "max_regression_pct": b.max_regression_pct,
        }
        for b in PerfBudget.objects.filter(domain=domain).order_by(
            "service", "scenario"
        )
    ]
    plans = [
        {
            "service": b.service,
            "query_name": b.query_name,
            "max_total_cost": b.max_total_cost,
            "no_seq_scan_tables": b.no_seq_scan_tables,
        }
        for b in QueryPlanBudget.objects.filter(domain=domain).order_by(
            "service", "query_name"
        )
    ]
    return BudgetDocument(perf=perf, query_plans=plans)


@transaction.atomic
def budgets_replace(
    *,
    domain: Domain,
    document: Any,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
) -> BudgetDocument:
    """Make the domain's budgets exactly `document` (validated first; all or nothing)."""
    parsed = budget_document_parse(document)
    # Lock the domain row so two concurrent replaces cannot interleave.
    Domain.objects.select_for_update().filter(pk=domain.pk).first()
    before = budget_document_of(domain)
    if before == parsed:
        return parsed
    user = actor if actor is not None and actor.is_authenticated else None
    PerfBudget.objects.filter(domain=domain).delete()
    QueryPlanBudget.objects.filter(domain=domain).delete()
    PerfBudget.objects.bulk_create(
        PerfBudget(domain=domain, updated_by=user, **b) for b in parsed.perf
    )
    QueryPlanBudget.objects.bulk_create(
        QueryPlanBudget(domain=domain, updated_by=user, **b) for b in parsed.query_plans
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="budgets.replace",
        domain=domain,
        obj=domain,
        before=before.as_json(),
        after=parsed.as_json(),
    )
    return parsed


BUDGET_KINDS = {
    "perf": ("service", "scenario"),
    "query_plans": ("service", "query_name"),
}


def _without(items: list[dict], kind: str, key: tuple[str, str]) -> list[dict]:
    fields = BUDGET_KINDS[kind]
    return [b for b in items if (b[fields[0]], b[fields[1]]) != key]


@transaction.atomic
def budget_set(
    *,
    domain: Domain,
    kind: str,
    budget: dict[str, Any],
    actor: AbstractBaseUser | None = None,
) -> BudgetDocument:
    """Add one budget, or replace the one with the same service and scenario
    (perf) or query name (query_plans); validated as the whole document is."""
    fields = BUDGET_KINDS[kind]
    Domain.objects.select_for_update().filter(pk=domain.pk).first()
    document = budget_document_of(domain).as_json()
    key = tuple((budget.get(f) or "").strip() for f in fields)
    document[kind] = [*_without(document[kind], kind, key), budget]
    return budgets_replace(domain=domain, document=document, actor=actor)


@transaction.atomic
def budget_remove(
    *,
    domain: Domain,
    kind: str,
    service: str,
    name: str,
    actor: AbstractBaseUser | None = None,
) -> BudgetDocument:
    """Remove the budget for (service, scenario or query name); absent is fine."""
    Domain.objects.select_for_update().filter(pk=domain.pk).first()
    document = budget_document_of(domain).as_json()
    document[kind] = _without(document[kind], kind, (service, name))
    return budgets_replace(domain=domain, document=document, actor=actor)
