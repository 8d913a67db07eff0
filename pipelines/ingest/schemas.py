"""Schemas of the ingestion API (webhooks, CI runs, JUnit reports, performance
samples, query plans): what a request may carry, within the limits of the
columns it lands in, and what each answer looks like."""

from typing import Annotated, Any, Literal, Self

from django.urls import reverse
from ninja import Schema
from pydantic import (
    AfterValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dashboard.platform.api_types import (
    INT32_MAX,
    AwareDatetime,
    CommitSha,
    InputSchema,
    IsoDatetime,
    JsonDocument,
    NonNegativeFloat,
    PinId,
    PinVersionTag,
    PositiveInt32,
    Text,
    WebUrl,
    pin_tag_check,
)
from pipelines.ingest.models import (
    Conclusion,
    PerfSample,
    QueryPlan,
    Run,
    RunStatus,
    TestReport,
)
from pipelines.ingest.services import plans

RepositoryName = Text(140, min_length=1)  # dashboard.Repository.full_name


# --- Lists ------------------------------------------------------------------------
class RunFilters(Schema):
    repository: Text(140) = ""
    branch: Text(255) = ""
    cursor: Text(1000) | None = None
    page_size: int | None = None


# --- CI runs ----------------------------------------------------------------------
class RunIn(InputSchema):
    """A run, identified by (provider, external_id, attempt, repository)."""

    provider: Text(40, min_length=1)
    external_id: Text(64, min_length=1)
    attempt: PositiveInt32 = 1
    repository: RepositoryName
    commit_sha: CommitSha
    branch: Text(255) = ""
    pull_request_number: PositiveInt32 | None = None
    workflow: Text(255) = ""
    status: RunStatus = RunStatus.QUEUED
    conclusion: Conclusion | None = None
    started_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    url: WebUrl(500) = ""

    @field_validator("conclusion")
    @classmethod
    def _only_completed_runs_conclude(
        cls, value: Conclusion | None, info: ValidationInfo
    ) -> Conclusion | None:
        status = info.data.get("status")
        if value and status is not None and status != RunStatus.COMPLETED:
            raise PydanticCustomError("conclusion", "Only a completed run has one.")
        return value


class RunOut(Schema):
    id: int
    provider: str
    external_id: str
    attempt: int
    repository: str
    commit_sha: str
    branch: str
    pull_request_number: int | None
    workflow: str
    status: str
    conclusion: str | None
    started_at: IsoDatetime | None
    completed_at: IsoDatetime | None
    url: str | None
    api_url: str

    @classmethod
    def of(cls, run: Run, **extra: Any) -> Self:
        return cls(
            id=run.pk,
            provider=run.provider,
            external_id=run.external_id,
            attempt=run.attempt,
            repository=run.repository.full_name,
            commit_sha=run.head_sha,
            branch=run.branch,
            pull_request_number=run.pull_request_number,
            workflow=run.workflow,
            status=run.status,
            conclusion=run.conclusion or None,
            started_at=run.started_at,
            completed_at=run.completed_at,
            url=run.url or None,
            api_url=reverse("api:ci-run", kwargs={"id": run.pk}),
            **extra,
        )


class RunUpserted(RunOut):
    result: Literal["created", "updated", "unchanged"]


class RunPage(Schema):
    items: list[RunOut]
    next_cursor: str | None
    next: str | None
    page_size: int


# --- JUnit reports ----------------------------------------------------------------
class TestCounts(Schema):
    __test__ = False  # not a pytest class, despite the name

    suites: int | None
    tests: int | None
    passed: int | None
    failures: int | None
    errors: int | None
    skipped: int | None
    duration_seconds: float | None


class ReportOut(Schema):
    id: int
    run_id: int
    state: str
    filename: str
    size_bytes: int
    sha256: str
    received_at: IsoDatetime | None
    processed_at: IsoDatetime | None
    error: str | None
    counts: TestCounts | None
    status_url: str

    @classmethod
    def of(cls, report: TestReport, **extra: Any) -> Self:
        counts = None
        if report.tests is not None:
            counts = TestCounts(
                suites=report.suites,
                tests=report.tests,
                passed=report.passed,
                failures=report.failures,
                errors=report.errors,
                skipped=report.skipped,
                duration_seconds=report.duration_seconds,
            )
        return cls(
            id=report.pk,
            run_id=report.run_id,
            state=report.state,
            filename=report.filename,
            size_bytes=report.size_bytes,
            sha256=report.sha256,
            received_at=report.received_at,
            processed_at=report.processed_at,
            error=report.error or None,
            counts=counts,
            status_url=reverse("api:ci-report", kwargs={"id": report.pk}),
            **extra,
        )


class ReportAccepted(ReportOut):
    testcases_seen: int  # what the edge check counted; the worker fills `counts`


class TestSummary(Schema):
    __test__ = False  # not a pytest class, despite the name

    reports: int
    tests: int
    passed: int
    failures: int
    errors: int
    skipped: int


class RunDetail(RunOut):
    test_summary: TestSummary
    reports: list[ReportOut]


# --- Performance samples ------------------------------------------------------------
class PerfSampleIn(InputSchema):
    """Latency percentiles and peak memory of one scenario at one commit."""

    repository: RepositoryName
    commit_sha: CommitSha
    scenario: Text(200, min_length=1)
    branch: Text(255) = ""
    base_branch: Text(255) = ""
    service: Text(50) = ""
    p50_ms: NonNegativeFloat
    p95_ms: NonNegativeFloat
    p99_ms: NonNegativeFloat
    peak_memory_mb: NonNegativeFloat | None = None
    sample_count: PositiveInt32
    pin_id: PinId | None = Field(
        default=None,
        description="The model or prompt pin the scenario ran with (its id in the "
        "pins file), to split latency by pin version during a rollout.",
    )
    pin_version: PinVersionTag | None = Field(
        default=None,
        description="The pin's version it ran with: the 64 hex digits of "
        "`version` in GET /api/v1/pins/{owner}/{name}/{pin_id}/current, or their "
        "first 12. Needs `pin_id`. Part of the sample's identity: stable and "
        "candidate measured at one commit are two samples.",
    )

    @model_validator(mode="after")
    def _pin(self) -> Self:
        pin_tag_check(self.pin_id, self.pin_version)
        return self

    @field_validator("p95_ms", "p99_ms")
    @classmethod
    def _percentiles_ascend(cls, value: float, info: ValidationInfo) -> float:
        previous = {"p95_ms": "p50_ms", "p99_ms": "p95_ms"}[info.field_name]
        lower = info.data.get(previous)
        if lower is not None and value < lower:
            raise PydanticCustomError(
                "percentiles", "Percentiles must satisfy p50 ≤ p95 ≤ p99."
            )
        return value


class PerfSampleOut(Schema):
    id: int
    repository: str
    service: str | None
    scenario: str
    commit_sha: str
    branch: str
    base_branch: str | None
    p50_ms: float
    p95_ms: float
    p99_ms: float
    peak_memory_mb: float | None
    sample_count: int
    pin_id: str | None
    pin_version: str | None
    created_at: IsoDatetime | None

    @classmethod
    def of(cls, sample: PerfSample) -> Self:
        return cls(
            id=sample.pk,
            repository=sample.repository.full_name,
            service=sample.service or None,
            scenario=sample.scenario,
            commit_sha=sample.commit_sha,
            branch=sample.branch,
            base_branch=sample.base_branch or None,
            p50_ms=sample.p50_ms,
            p95_ms=sample.p95_ms,
            p99_ms=sample.p99_ms,
            peak_memory_mb=sample.peak_memory_mb,
            sample_count=sample.sample_count,
            pin_id=sample.pin_id or None,
            pin_version=sample.pin_version or None,
            created_at=sample.created_at,
        )


# --- Query plans ----------------------------------------------------------------------
def _explain_output(document: Any) -> Any:
    try:
        plans.plan_summarize(document)
    except plans.PlanError as exc:
        raise PydanticCustomError("explain_plan", "{reason}", {"reason": str(exc)})
    return document


ExplainPlan = Annotated[JsonDocument, AfterValidator(_explain_output)]


class QueryPlanIn(InputSchema):
    """EXPLAIN (FORMAT JSON) output for a named query at a commit."""

    repository: RepositoryName
    commit_sha: CommitSha
    query_name: Text(200, min_length=1)
    branch: Text(255) = ""
    service: Text(50) = ""
    plan: ExplainPlan


class PlanNode(Schema):
    node_type: str
    relation: str | None


class QueryPlanOut(Schema):
    id: int
    repository: str
    service: str | None
    query_name: str
    commit_sha: str
    branch: str
    analyzed: bool
    buffers: bool
    startup_cost: float
    total_cost: float
    plan_rows: float | None
    actual_total_time_ms: float | None
    execution_time_ms: float | None
    nodes: list[PlanNode]
    seq_scan_relations: list[str]
    created_at: IsoDatetime | None

    @classmethod
    def of(cls, plan: QueryPlan) -> Self:
        return cls(
            id=plan.pk,
            repository=plan.repository.full_name,
            service=plan.service or None,
            query_name=plan.query_name,
            commit_sha=plan.commit_sha,
            branch=plan.branch,
            analyzed=plan.analyzed,
            buffers=plan.buffers,
            startup_cost=plan.startup_cost,
            total_cost=plan.total_cost,
            plan_rows=plan.plan_rows,
            actual_total_time_ms=plan.actual_total_time_ms,
            execution_time_ms=plan.execution_time_ms,
            nodes=[PlanNode(node_type=n, relation=r or None) for n, r in plan.nodes],
            seq_scan_relations=plan.seq_scan_relations,
            created_at=plan.created_at,
        )


# --- GitHub webhooks --------------------------------------------------------------------
class DeliveryAccepted(Schema):
    delivery_id: str
    event: str
    duplicate: bool
    state: str


class Pong(Schema):
    ok: bool
    zen: str


class JUnitTarget(InputSchema):
    """The run a JUnit upload belongs to, named by the CI's own ids (query string
    or multipart fields), so a CI step uploads without looking up our run id."""

    provider: Text(40, min_length=1) = "github_actions"
    external_id: Text(64, min_length=1)
    # From a query string or form field: a digit string is fine here.
    attempt: Annotated[int, Field(ge=1, le=INT32_MAX)] = 1
    repository: RepositoryName
    commit_sha: CommitSha | None = None
