"""The dashboard app's models module: Django loads an app's models from here,
so it names every package's models (each package owns its own)."""

from dashboard.board.models import (
    CIRollup,
    ExportJob,
    ExportKind,
    IngestRollup,
    PerfRollup,
    PlanCostRollup,
    RollupWatermark,
)
from dashboard.domains.models import (
    AuditEntry,
    Domain,
    IngestToken,
    Membership,
    PermissionDenial,
    Repository,
    Service,
)
from dashboard.platform.models import DeadLetter, OutboxRow, OutboxState

__all__ = [
    "AuditEntry",
    "CIRollup",
    "DeadLetter",
    "Domain",
    "ExportJob",
    "ExportKind",
    "IngestRollup",
    "IngestToken",
    "Membership",
    "OutboxRow",
    "OutboxState",
    "PerfRollup",
    "PermissionDenial",
    "PlanCostRollup",
    "Repository",
    "RollupWatermark",
    "Service",
]
