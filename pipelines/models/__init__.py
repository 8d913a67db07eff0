"""The pipelines app's models, one module per concept, re-exported here."""

from pipelines.models.commits import Deployment, PullRequest, Push, ReportedStatus
from pipelines.models.deliveries import WebhookDelivery
from pipelines.models.idempotency import IdempotencyRecord
from pipelines.models.perf import PerfSample
from pipelines.models.plans import QueryPlan
from pipelines.models.results import Outcome, TestReport, TestResult
from pipelines.models.runs import (
    CONCLUSION_SEVERITY,
    STATUS_RANK,
    Conclusion,
    Job,
    Provider,
    Run,
    RunStatus,
)

__all__ = [
    "CONCLUSION_SEVERITY",
    "STATUS_RANK",
    "Conclusion",
    "Deployment",
    "IdempotencyRecord",
    "Job",
    "Outcome",
    "PerfSample",
    "Provider",
    "PullRequest",
    "Push",
    "QueryPlan",
    "ReportedStatus",
    "Run",
    "RunStatus",
    "TestReport",
    "TestResult",
    "WebhookDelivery",
]

# The gates models (pipelines/models/gates.py) are imported here by their owner.
from pipelines.models.gates import (  # noqa: F401
    FlakyOccurrence,
    FlakyTest,
    GateContext,
    GateState,
    GateVerdict,
    GateVerdictChange,
    PerfBudget,
    QueryPlanBudget,
)
