"""The ingestion models, one module per concept, re-exported here."""

from pipelines.ingest.models.commits import (
    Deployment,
    PullRequest,
    Push,
    ReportedStatus,
)
from pipelines.ingest.models.deliveries import WebhookDelivery
from pipelines.ingest.models.idempotency import IdempotencyRecord
from pipelines.ingest.models.perf import PerfSample
from pipelines.ingest.models.plans import QueryPlan
from pipelines.ingest.models.results import Outcome, TestReport, TestResult
from pipelines.ingest.models.rollups import (
    CIRollup,
    CIRollupDay,
    IngestRollup,
    PerfRollup,
    PlanCostRollup,
)
from pipelines.ingest.models.runs import (
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
    "CIRollup",
    "CIRollupDay",
    "Conclusion",
    "Deployment",
    "IdempotencyRecord",
    "IngestRollup",
    "Job",
    "Outcome",
    "PerfRollup",
    "PerfSample",
    "PlanCostRollup",
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
