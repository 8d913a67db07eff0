"""Pins objects made directly (no GitHub): a pin with two versions, a rollout,
an open proposal changing it. For page, query-count and leak tests."""

import hashlib

from django.utils import timezone

from pipelines.pins.models import (
    Pin,
    PinVersion,
    Proposal,
    ProposalPin,
    ProposalSource,
    Rollout,
)
from pipelines.pins.review_rules import field_changes, prompt_diff

PLAN = {
    "stages": [5, 25, 50, 100],
    "hold": "30m",
    "guard_slo": "checkout-latency",
    "max_burn": 2,
}


def version(repository, pin_id: str, *, text: str, temperature: float) -> PinVersion:
    entry = {
        "id": pin_id,
        "kind": "prompt",
        "model": "openai/gpt-4.1-2025-04-14",
        "prompt": f"prompts/{pin_id}.md",
        "params": {"temperature": temperature},
        "rollout": PLAN,
    }
    digest = hashlib.sha256(f"{pin_id}{text}{temperature}".encode()).hexdigest()
    return PinVersion.objects.create(
        repository=repository,
        pin_id=pin_id,
        content_hash=digest,
        kind="prompt",
        model=entry["model"],
        prompt_path=entry["prompt"],
        prompt_blob_sha=digest[:40],
        prompt_text=text,
        entry=entry,
        first_seen_sha="a" * 40,
    )


def pin_world(domain, repository, *, marker: str = "", pin_id: str = "") -> dict:
    """A pin (rolling out from v1 to v2) and an open proposal changing it;
    returns their pks by the URL names that take them."""
    pin_id = pin_id or f"{marker or 'pin'}-summary"
    existing = Pin.objects.filter(repository=repository, pin_id=pin_id).first()
    if existing is not None:  # asked again (the leak walk asks per URL)
        return {
            "pin": existing.pk,
            "pin-propose": existing.pk,
            "rollout-advance": existing.rollouts.first().pk,
            "proposal": Proposal.objects.filter(pins__pin_id=pin_id).first().pk,
        }
    v1 = version(repository, pin_id, text=f"{marker} Be brief.\n", temperature=0.2)
    v2 = version(
        repository, pin_id, text=f"{marker} Be brief and warm.\n", temperature=0.3
    )
    now = timezone.now()
    pin = Pin.objects.create(
        domain=domain,
        repository=repository,
        pin_id=pin_id,
        current=v2,
        stable=v1,
        candidate=v2,
        traffic_pct=5,
        default_sha="b" * 40,
        changed_at=now,
    )
    rollout = Rollout.objects.create(
        domain=domain,
        pin=pin,
        from_version=v1,
        to_version=v2,
        stages=PLAN["stages"],
        hold_seconds=1800,
        guard_slo="checkout-latency",
        max_burn=2,
        stage_started_at=now,
    )
    v3 = version(repository, pin_id, text=f"{marker} Be warm.\n", temperature=0.9)
    proposal = Proposal.objects.create(
        domain=domain,
        repository=repository,
        source=ProposalSource.PULL_REQUEST,
        title=f"{marker} warmer summary",
        number=Proposal.objects.filter(repository=repository).count() + 1,
        url="https://github.com/acme/x/pull/1",
        author="octocat",
        head_sha="c" * 40,
        base_sha="b" * 40,
        content_hash=v3.content_hash,
        review_reason="0 of 1 approvals",
    )
    ProposalPin.objects.create(
        proposal=proposal,
        pin_id=pin_id,
        change="changed",
        before=v2,
        after=v3,
        fields=field_changes(v2.entry, v3.entry),
        prompt_diff=prompt_diff(
            v2.prompt_text, v3.prompt_text, path_before="p", path_after="p"
        ),
        risks=["temperature raised: 0.3 → 0.9"],
    )
    return {
        "pin": pin.pk,
        "pin-propose": pin.pk,
        "rollout-advance": rollout.pk,
        "proposal": proposal.pk,
    }
