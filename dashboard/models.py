"""The dashboard app's models module: Django loads an app's models from here,
so it names every package's models (each package owns its own)."""

from dashboard.board.models import ExportJob, ExportKind, RollupWatermark
from dashboard.domains.models import (
    AuditEntry,
    Domain,
    IngestToken,
    Membership,
    PermissionDenial,
    PermissionDenialMinute,
    Repository,
    Service,
)
from dashboard.platform.models import DeadLetter, OutboxRow, OutboxState

__all__ = [
    "AuditEntry",
    "DeadLetter",
    "Domain",
    "ExportJob",
    "ExportKind",
    "IngestToken",
    "Membership",
    "OutboxRow",
    "OutboxState",
    "PermissionDenial",
    "PermissionDenialMinute",
    "Repository",
    "RollupWatermark",
    "Service",
]
