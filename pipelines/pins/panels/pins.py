"""Pins: every current pin (id, kind, model, version, stage, last change) and
the proposals, open ones first, with approvals x/N, plan and status."""

from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse

from dashboard.board.panels.common import TimeRange, iso
from pipelines.pins.models import Pin, Proposal, ProposalState

MAX_PINS = 50
MAX_PROPOSALS = 15


def build(domain_id: int, time_range: TimeRange) -> dict:
    pins = (
        Pin.objects.filter(domain_id=domain_id, removed=False)
        .select_related("repository", "current", "stable", "candidate", "domain")
        .order_by("repository__full_name", "pin_id")[:MAX_PINS]
    )
    proposals = (
        Proposal.objects.filter(domain_id=domain_id)
        .select_related("repository", "domain")
        .annotate(
            open_first=Case(
                When(state=ProposalState.OPEN, then=Value(0)),
                When(state=ProposalState.DRAFT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("open_first", "-updated_at", "-id")[:MAX_PROPOSALS]
    )
    return {
        "pins": [
            {
                "repository": p.repository.full_name,
                "pin_id": p.pin_id,
                "kind": p.current.kind,
                "model": p.current.model,
                "version": p.current.short,
                "stable": p.stable.short,
                "candidate": p.candidate.short if p.candidate else "",
                "traffic_pct": p.traffic_pct,
                "changed_at": iso(p.changed_at),
                "url": reverse("pins:pin", kwargs={"slug": p.domain.slug, "pk": p.pk}),
            }
            for p in pins
        ],
        "proposals": [
            {
                "title": p.title,
                "repository": p.repository.full_name if p.repository else "",
                "number": p.number,
                "state": p.state,
                "approvals": p.approvals,
                "required": p.required_approvals,
                "plan_ok": p.plan_ok,
                "review_state": p.review_state,
                "review_reason": p.review_reason,
                "url": p.get_absolute_url(),
            }
            for p in proposals
        ],
    }
