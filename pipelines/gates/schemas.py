"""Schemas of the gates API: the budgets document, a commit's gate verdicts,
flaky tests."""

from typing import Any, Self

from ninja import Schema

from dashboard.platform.api_types import IsoDatetime, NonNegativeFloat, Text
from pipelines.gates.models import FlakyTest, GateVerdict
from pipelines.gates.services.gates import commit_page_url


# --- Budgets ------------------------------------------------------------------------
# The document PUT /api/v1/budgets takes and GET returns. Its rules (unknown
# fields, duplicates, "sets no limit") are checked by services.budgets, which
# the budgets page shares; these schemas describe it, with the columns' limits.
class PerfBudget(Schema):
    service: Text(50) = ""
    scenario: Text(200) = ""
    p95_ms_max: NonNegativeFloat | None = None
    memory_mb_max: NonNegativeFloat | None = None
    max_regression_pct: NonNegativeFloat | None = None


class QueryPlanBudget(Schema):
    service: Text(50) = ""
    query_name: Text(200) = ""
    max_total_cost: NonNegativeFloat | None = None
    no_seq_scan_tables: list[Text(128)] = []


class BudgetsDocument(Schema):
    """Every budget of the domain: a PUT replaces them all (at most 500 a kind)."""

    perf: list[PerfBudget] = []
    query_plans: list[QueryPlanBudget] = []


class Budgets(Schema):
    domain: str
    perf: list[PerfBudget]
    query_plans: list[QueryPlanBudget]

    @classmethod
    def of(cls, domain_slug: str, document: dict[str, Any]) -> Self:
        return cls(
            domain=domain_slug,
            perf=document["perf"],
            query_plans=document["query_plans"],
        )


# --- Gate verdicts --------------------------------------------------------------------
class VerdictOut(Schema):
    repository: str
    sha: str
    context: str
    state: str
    description: str
    details: dict[str, Any]
    evaluated_at: IsoDatetime
    changed_at: IsoDatetime
    posted_state: str | None
    posted_at: IsoDatetime | None
    post_error: str | None
    target_url: str

    @classmethod
    def of(cls, verdict: GateVerdict) -> Self:
        return cls(
            repository=verdict.repository.full_name,
            sha=verdict.sha,
            context=verdict.context,
            state=verdict.state,
            description=verdict.description,
            details=verdict.details,
            evaluated_at=verdict.evaluated_at,
            changed_at=verdict.changed_at,
            posted_state=verdict.posted_state or None,
            posted_at=verdict.posted_at,
            post_error=verdict.post_error or None,
            target_url=commit_page_url(verdict),
        )


class CommitVerdicts(Schema):
    sha: str
    verdicts: list[VerdictOut]


class CommitFilter(Schema):
    repository: Text(140) = ""


# --- Flaky tests ------------------------------------------------------------------------
class FlakyTestOut(Schema):
    repository: str
    test: str
    classname: str
    name: str
    flip_count: int
    first_seen_at: IsoDatetime
    last_seen_at: IsoDatetime
    last_sha: str

    @classmethod
    def of(cls, flaky: FlakyTest) -> Self:
        return cls(
            repository=flaky.repository.full_name,
            test=f"{flaky.classname}::{flaky.name}" if flaky.classname else flaky.name,
            classname=flaky.classname,
            name=flaky.name,
            flip_count=flaky.flip_count,
            first_seen_at=flaky.first_seen_at,
            last_seen_at=flaky.last_seen_at,
            last_sha=flaky.last_sha,
        )


class FlakyTestPage(Schema):
    items: list[FlakyTestOut]
    next_cursor: str | None
    page_size: int


class PageParams(Schema):
    cursor: Text(1000) | None = None
    page_size: int | None = None
