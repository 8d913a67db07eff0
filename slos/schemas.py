"""Schemas of the SLO API: SLI points in, SLO definitions and status out."""

from typing import Self

from ninja import Schema
from pydantic import Field, model_validator

from dashboard.platform.api_types import (
    AwareDatetime,
    InputSchema,
    IsoDatetime,
    NonNegativeInt64,
    PinId,
    PinVersionTag,
    Text,
    pin_tag_check,
)
from slos.models import Slo, SloAlert
from slos.selectors import SloStatus


class SliPointIn(InputSchema):
    """Counts of one interval ending at `ts`: `good` and `total`, or `bad` and
    `total` for a bad/total indicator."""

    ts: AwareDatetime
    total: NonNegativeInt64
    good: NonNegativeInt64 | None = None
    bad: NonNegativeInt64 | None = None
    pin_id: PinId | None = Field(
        default=None,
        description="The model or prompt pin that served these events (its id "
        "in the pins file), to split errors by pin version during a rollout.",
    )
    pin_version: PinVersionTag | None = Field(
        default=None,
        description="The pin's version that served them: the 64 hex digits of "
        "`version` in GET /api/v1/pins/{owner}/{name}/{pin_id}/current, or their "
        "first 12. Needs `pin_id`. Stable and candidate points of one `ts` are "
        "two points; the SLO counts both.",
    )

    @model_validator(mode="after")
    def _pin(self) -> Self:
        pin_tag_check(self.pin_id, self.pin_version)
        return self

    @model_validator(mode="after")
    def _counts(self) -> Self:
        if (self.good is None) == (self.bad is None):
            raise ValueError("give either good or bad, with total")
        counted = self.good if self.good is not None else self.bad
        if counted > self.total:
            raise ValueError("good (or bad) must not exceed total")
        return self

    @property
    def good_events(self) -> int:
        return self.good if self.good is not None else self.total - self.bad


class SliIn(InputSchema):
    slo: Text(150, min_length=1)
    points: list[SliPointIn] = Field(min_length=1, max_length=10_000)


class SliWritten(Schema):
    slo: str
    written: int


class SloOut(Schema):
    id: int
    name: str
    display_name: str
    service: str
    objective: float
    window_seconds: int
    rolling: bool
    budgeting: str
    slice_target: float | None
    slice_window_seconds: int | None
    min_events: int
    indicator: dict
    source_format: str

    @classmethod
    def of(cls, slo: Slo) -> "SloOut":
        return cls.model_validate(slo, from_attributes=True)


class SloList(Schema):
    items: list[SloOut]


class SloImportOut(Schema):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    slos: list[str]
    diffs: dict[str, dict[str, list]]


class BudgetOut(Schema):
    allowed_bad: float
    consumed_bad: float
    remaining: float | None


class AlertConditionOut(Schema):
    severity: str
    long_window: str
    short_window: str
    factor: float
    long_burn: float | None
    short_burn: float | None
    long_window_events: float
    min_events: int
    guarded: bool
    firing: bool


class SloStatusOut(Schema):
    slo: SloOut
    at: IsoDatetime
    good: float
    total: float
    sli: float | None
    error_budget: BudgetOut
    burn_rates: dict[str, float | None]
    alerts: list[AlertConditionOut]

    @classmethod
    def of(cls, status: SloStatus) -> "SloStatusOut":
        return cls(
            slo=SloOut.of(status.slo),
            at=status.at,
            good=status.window.good,
            total=status.window.total,
            sli=status.sli,
            error_budget=BudgetOut(**vars(status.budget)),
            burn_rates=status.burn_rates,
            alerts=[
                AlertConditionOut(
                    severity=a.severity,
                    long_window=a.long_window,
                    short_window=a.short_window,
                    factor=a.factor,
                    long_burn=a.long_burn,
                    short_burn=a.short_burn,
                    long_window_events=a.long_events,
                    min_events=status.slo.min_events,
                    guarded=a.guarded,
                    firing=a.firing,
                )
                for a in status.alerts
            ],
        )


class StatusQuery(Schema):
    at: AwareDatetime | None = None


class SloAlertOut(Schema):
    id: int
    severity: str
    long_window: str
    short_window: str
    factor: float
    fired_at: IsoDatetime
    resolved_at: IsoDatetime | None
    fired_long_burn: float
    fired_short_burn: float
    last_long_burn: float | None
    last_short_burn: float | None
    firing: bool

    @classmethod
    def of(cls, alert: SloAlert) -> "SloAlertOut":
        return cls.model_validate({**vars(alert), "firing": alert.resolved_at is None})


class SloAlertList(Schema):
    items: list[SloAlertOut]
