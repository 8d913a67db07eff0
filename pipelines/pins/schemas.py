"""Schemas of the pins API: a pin's current versions, a review, a proposal,
a rollout's split by pin version."""

from typing import Literal, Self

from ninja import Schema

from dashboard.platform.api_types import InputSchema, IsoDatetime, Text
from pipelines.pins.models import Pin, PinVersion, Proposal
from pipelines.pins.split import PinSplit


class PinVersionOut(Schema):
    version: str  # the content hash
    model: str
    prompt_path: str
    prompt_blob_sha: str
    params: dict
    first_seen_sha: str

    @classmethod
    def of(cls, version: PinVersion) -> Self:
        return cls(
            version=version.content_hash,
            model=version.model,
            prompt_path=version.prompt_path,
            prompt_blob_sha=version.prompt_blob_sha,
            params=version.entry.get("params") or {},
            first_seen_sha=version.first_seen_sha,
        )


class PinCurrentOut(Schema):
    """What the application's router needs: send `traffic_pct` % of requests
    to `candidate` (when not null), the rest to `stable`."""

    repository: str
    pin_id: str
    kind: str
    stable: PinVersionOut
    candidate: PinVersionOut | None
    traffic_pct: int
    default_sha: str

    @classmethod
    def of(cls, pin: Pin) -> Self:
        return cls(
            repository=pin.repository.full_name,
            pin_id=pin.pin_id,
            kind=pin.current.kind,
            stable=PinVersionOut.of(pin.stable),
            candidate=PinVersionOut.of(pin.candidate) if pin.candidate else None,
            traffic_pct=pin.traffic_pct if pin.candidate else 0,
            default_sha=pin.default_sha,
        )


class ReviewIn(InputSchema):
    verdict: Literal["approve", "request_changes"]
    comment: Text(5000) = ""


class ProposalOut(Schema):
    id: int
    title: str
    state: str
    repository: str | None
    number: int | None
    head_sha: str
    review_state: str
    review_reason: str
    approvals: int
    required_approvals: int
    plan_ok: bool

    @classmethod
    def of(cls, proposal: Proposal) -> Self:
        return cls(
            id=proposal.pk,
            title=proposal.title,
            state=proposal.state,
            repository=proposal.repository.full_name if proposal.repository else None,
            number=proposal.number,
            head_sha=proposal.head_sha,
            review_state=proposal.review_state,
            review_reason=proposal.review_reason,
            approvals=proposal.approvals,
            required_approvals=proposal.required_approvals,
            plan_ok=proposal.plan_ok,
        )


class LatencyCellOut(Schema):
    samples: int
    requests: int
    p50_ms: float | None  # the median of the samples' p50
    p95_ms: float | None  # the median of the samples' p95


class LatencyRowOut(Schema):
    service: str
    scenario: str
    stable: LatencyCellOut
    candidate: LatencyCellOut


class ErrorCellOut(Schema):
    points: int
    good: int
    bad: int
    total: int
    error_rate: float | None  # bad / total; null without events


class ErrorRowOut(Schema):
    slo: str
    guard: bool
    stable: ErrorCellOut
    candidate: ErrorCellOut


class PinSplitOut(Schema):
    """Latency and errors of a rollout by pin version, since it started: the
    perf samples and SLI points sent with `pin_id` and one of the versions
    (its 64 hex digits or their first 12), created_at / ts in (since, as_of]."""

    repository: str
    pin_id: str
    rollout: int
    state: str
    traffic_pct: int
    stable_version: str
    candidate_version: str
    since: IsoDatetime
    as_of: IsoDatetime
    latency: list[LatencyRowOut]
    errors: list[ErrorRowOut]
    truncated: bool  # latency read only the newest MAX_SAMPLES samples

    @classmethod
    def of(cls, split: PinSplit) -> Self:
        def errors(cell) -> ErrorCellOut:
            return ErrorCellOut(
                points=cell.points,
                good=cell.good,
                bad=cell.bad,
                total=cell.total,
                error_rate=cell.error_rate,
            )

        rollout = split.rollout
        return cls(
            repository=rollout.pin.repository.full_name,
            pin_id=rollout.pin.pin_id,
            rollout=rollout.pk,
            state=rollout.state,
            traffic_pct=rollout.traffic_pct,
            stable_version=split.versions["stable"].content_hash,
            candidate_version=split.versions["candidate"].content_hash,
            since=split.since,
            as_of=split.as_of,
            latency=[
                LatencyRowOut(
                    service=row.service,
                    scenario=row.scenario,
                    stable=LatencyCellOut(**vars(row.cells["stable"])),
                    candidate=LatencyCellOut(**vars(row.cells["candidate"])),
                )
                for row in split.latency
            ],
            errors=[
                ErrorRowOut(
                    slo=row.slo_name,
                    guard=row.guard,
                    stable=errors(row.cells["stable"]),
                    candidate=errors(row.cells["candidate"]),
                )
                for row in split.errors
            ],
            truncated=split.truncated,
        )
