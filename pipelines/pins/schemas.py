"""Schemas of the pins API: a pin's current versions, a review, a proposal."""

from typing import Literal, Self

from ninja import Schema

from dashboard.platform.api_types import InputSchema, Text
from pipelines.pins.models import Pin, PinVersion, Proposal


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
