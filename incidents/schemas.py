"""Schemas of the incidents API: the generic incident report in, incidents,
monitor deliveries and the DORA keys out."""

from typing import Self

from ninja import Schema
from pydantic import Field, field_validator, model_validator

from dashboard.platform.api_types import (
    AwareDatetime,
    InputSchema,
    IsoDatetime,
    PositiveInt64,
    Text,
    WebUrl,
)
from incidents.dora import DoraKeys
from incidents.models import Incident, IncidentStatus
from incidents.severity import UnknownSeverity, severity_from


class IncidentIn(InputSchema):
    """One report of an incident; upserted by (`source`, `external_id`) within
    the token's domain. `severity` takes SEV1…SEV5, P1…P5 or a word
    (critical, high, medium, low, info; see docs/incidents.md)."""

    source: Text(40, min_length=1) = "api"
    external_id: Text(200, min_length=1)
    title: Text(500, min_length=1)
    severity: Text(40) = "SEV3"
    status: IncidentStatus = IncidentStatus.TRIGGERED
    service: Text(200) = ""
    started_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    mitigated_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    url: WebUrl(500) = ""
    commander: Text(200) = ""
    deployment: PositiveInt64 | None = None
    reopen: bool = Field(
        False,
        description="The incident went back to `status` at `updated_at` "
        "(reopened after a resolve, unacknowledged): applied when later than "
        "the stored report, unlike a late report of a lower status.",
    )

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        try:
            return severity_from(value)
        except UnknownSeverity as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.reopen and (
            self.status == IncidentStatus.RESOLVED or self.resolved_at is not None
        ):
            raise ValueError(
                "reopen moves an incident back to an open status: send status "
                "triggered, acknowledged or mitigated, without resolved_at"
            )
        start = self.started_at
        for name in ("detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
            value = getattr(self, name)
            if start is not None and value is not None and value < start:
                raise ValueError(f"{name} is before started_at")
        return self


class IncidentOut(Schema):
    id: int
    source: str
    external_id: str
    title: str
    severity: str
    status: str
    service: str
    started_at: IsoDatetime
    detected_at: IsoDatetime | None
    acknowledged_at: IsoDatetime | None
    mitigated_at: IsoDatetime | None
    resolved_at: IsoDatetime | None
    url: str
    commander: str
    deployment: int | None

    @classmethod
    def of(cls, incident: Incident, **extra: object) -> "IncidentOut":
        return cls(
            **extra,
            id=incident.pk,
            source=incident.source,
            external_id=incident.external_id,
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            service=incident.service_label,
            started_at=incident.started_at,
            detected_at=incident.detected_at,
            acknowledged_at=incident.acknowledged_at,
            mitigated_at=incident.mitigated_at,
            resolved_at=incident.resolved_at,
            url=incident.url,
            commander=incident.commander,
            deployment=incident.deployment.external_id if incident.deployment else None,
        )


class IncidentUpserted(IncidentOut):
    result: str


class IncidentList(Schema):
    items: list[IncidentOut]


class MonitorAccepted(Schema):
    source: str
    delivery_id: str
    duplicate: bool
    state: str


class DoraQuery(Schema):
    domain: Text(50) = ""
    service: Text(200) = ""
    # Defaults: the 30 days up to now (`to`) or after `from`.
    start: AwareDatetime | None = Field(None, alias="from")
    end: AwareDatetime | None = Field(None, alias="to")


class DoraKeysOut(Schema):
    start: IsoDatetime
    end: IsoDatetime
    deployments: int
    deployments_per_day: float
    deployment_frequency_band: str
    lead_time_seconds: float | None
    lead_time_band: str | None
    lead_time_commits: int
    production_deployments: int
    failed_deployments: int
    change_failure_rate: float | None
    change_failure_rate_band: str | None
    time_to_restore_seconds: float | None
    time_to_restore_band: str | None
    restored_incidents: int
    mean_time_to_acknowledge_seconds: float | None

    @classmethod
    def of(cls, keys: DoraKeys) -> "DoraKeysOut":
        return cls(**keys.__dict__)


class DoraOut(Schema):
    domain: str
    service: str
    keys: DoraKeysOut
    weekly: list[DoraKeysOut]
