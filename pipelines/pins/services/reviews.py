"""Reviews of proposals, the review verdict, and its posting to GitHub as the
required status `controlplane/pin-review` (through the gates' verdicts, so it
shows on the commit page beside the other gates)."""

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.tasks import enqueue_on_commit
from dashboard.domains import policy
from dashboard.domains.selectors import user_can
from dashboard.domains.services import audit_record
from pipelines.gates.models import GateContext, GateVerdict
from pipelines.gates.services.gates import (
    NOT_CONFIGURED,
    POST_STATUS_TASK,
    Verdict,
    gate_verdicts_store,
)
from pipelines.pins.logs import pin_fields
from pipelines.pins.models import (
    PinDomainSettings,
    Proposal,
    ProposalEvent,
    ProposalState,
    Review,
    ReviewVerdict,
)
from pipelines.pins.review_rules import PinNeed, ReviewView, review_outcome

logger = logging.getLogger(__name__)


class ReviewRefused(Exception):
    """The review cannot be accepted; the message says why, for a person.
    `forbidden`: the person may not (theirs, not a reviewer) rather than the
    proposal cannot be approved now (closed, plan invalid)."""

    def __init__(self, message: str, *, forbidden: bool = False):
        super().__init__(message)
        self.forbidden = forbidden


def required_approvals_of(domain_id: int) -> int:
    found = (
        PinDomainSettings.objects.using("default")
        .filter(domain_id=domain_id)
        .values_list("required_approvals", flat=True)
        .first()
    )
    return max(1, found or 1)


def _is_owner(user: AbstractBaseUser, owners: list[str], group_names: set[str]) -> bool:
    wanted = {o.lower() for o in owners}
    return user.get_username().lower() in wanted or bool(wanted & group_names)


def latest_reviews(proposal: Proposal) -> list[Review]:
    """Each reviewer's latest review (what counts), oldest reviewer first."""
    latest: dict[int, Review] = {}
    for review in (
        Review.objects.using("default")
        .filter(proposal=proposal)
        .select_related("reviewer")
        .prefetch_related("reviewer__groups")
        .order_by("id")
    ):
        latest[review.reviewer_id] = review
    return list(latest.values())


def proposal_judge(*, proposal: Proposal, post: bool = True) -> Proposal:
    """Compute the review verdict, store it on the proposal (an event when it
    changed) and, for an open pull request, post it to GitHub."""
    pins = list(proposal.pins.all())
    reviews = latest_reviews(proposal)
    views = []
    for review in reviews:
        groups = {g.name.lower() for g in review.reviewer.groups.all()}
        views.append(
            ReviewView(
                reviewer=review.reviewer.get_username(),
                verdict=review.verdict,
                stale=review.stale,
                owner_of=frozenset(
                    p.pin_id
                    for p in pins
                    if p.owners and _is_owner(review.reviewer, p.owners, groups)
                ),
            )
        )
    needs = [PinNeed(p.pin_id, p.required_approvals, tuple(p.owners)) for p in pins]
    outcome = review_outcome(
        reviews=views,
        needs=needs,
        plan_problems_by_pin={p.pin_id: p.plan_problems for p in pins},
        file_error=proposal.file_error,
    )
    plan_ok = not any(p.plan_problems for p in pins)
    changed = (proposal.review_state, proposal.review_reason) != (
        outcome.state,
        outcome.description,
    )
    Proposal.objects.filter(pk=proposal.pk).update(
        review_state=outcome.state,
        review_reason=outcome.description[:500],
        approvals=outcome.approvals,
        required_approvals=outcome.required or proposal.required_approvals,
        plan_ok=plan_ok,
    )
    proposal.review_state, proposal.review_reason = outcome.state, outcome.description
    proposal.approvals, proposal.plan_ok = outcome.approvals, plan_ok
    if outcome.required:
        proposal.required_approvals = outcome.required
    if changed:
        ProposalEvent.objects.create(
            proposal=proposal,
            kind="status",
            text=f"{outcome.state}: {outcome.description}"[:500],
        )
    if post and proposal.is_open and proposal.repository_id and proposal.head_sha:
        review_status_post(
            repository=proposal.repository,
            sha=proposal.head_sha,
            state=outcome.state,
            description=outcome.description,
            details={"proposal": proposal.pk, "approvals": outcome.approvals},
        )
    return proposal


def review_status_post(
    *, repository, sha: str, state: str, description: str, details: dict
) -> GateVerdict:
    """Store the verdict for the commit and post it (after commit) if GitHub
    has not seen it: one task, retried, dead-lettered like every gate's."""
    with transaction.atomic():
        (verdict,) = gate_verdicts_store(
            repository=repository,
            sha=sha,
            verdicts=[Verdict(GateContext.PIN_REVIEW, state, description, details)],
        )
        if not verdict.is_posted:
            if not settings.GITHUB_TOKEN:
                GateVerdict.objects.filter(pk=verdict.pk).update(
                    post_error=NOT_CONFIGURED
                )
            else:
                enqueue_on_commit(
                    POST_STATUS_TASK, verdict.pk, domain_id=repository.domain_id
                )
    return verdict


@transaction.atomic
def review_submit(
    *,
    proposal: Proposal,
    reviewer: AbstractBaseUser,
    verdict: str,
    comment: str = "",
    actor_label: str = "",
) -> Review:
    """Approve or request changes. Refused (ReviewRefused) for someone who may
    not review here, a proposal that is not open, one's own change, and an
    approval while the rollout plan is invalid or the pins file broken."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    verdict = ReviewVerdict(verdict).value
    if not user_can(reviewer, policy.Action.REVIEW_CHANGES, proposal.domain):
        raise ReviewRefused(
            "Only a reviewer of this domain may review its changes.", forbidden=True
        )
    if proposal.state != ProposalState.OPEN:
        raise ReviewRefused(
            f"This proposal is {proposal.get_state_display().lower()}; only open "
            "proposals are reviewed."
        )
    if not proposal.content_hash:
        raise ReviewRefused("This proposal has no pin change to review yet.")
    if verdict == ReviewVerdict.APPROVE:
        own = (
            proposal.proposer_id is not None and proposal.proposer_id == reviewer.pk
        ) or (
            proposal.author
            and proposal.author.lower() == reviewer.get_username().lower()
        )
        if own:
            raise ReviewRefused(
                "Nobody approves their own change: you proposed or authored it. "
                "Ask another reviewer.",
                forbidden=True,
            )
        if proposal.file_error:
            raise ReviewRefused(
                f"The pins file is invalid, so it cannot be approved: {proposal.file_error}"
            )
        missing = [
            f"{p.pin_id}: {problem}"
            for p in proposal.pins.all()
            for problem in p.plan_problems
        ]
        if missing:
            raise ReviewRefused(
                "The rollout plan is not valid, so this cannot be approved yet: "
                + "; ".join(missing)
            )
    review = Review.objects.create(
        proposal=proposal,
        reviewer=reviewer,
        verdict=verdict,
        comment=comment,
        content_hash=proposal.content_hash,
        head_sha=proposal.head_sha,
    )
    audit_record(
        actor=reviewer,
        actor_label=actor_label,
        action=f"pins.review.{verdict}",
        domain=proposal.domain,
        obj=proposal,
        after={"verdict": verdict, "comment": comment, "head_sha": proposal.head_sha},
    )
    ProposalEvent.objects.create(
        proposal=proposal,
        kind=f"review.{verdict}",
        text=f"{reviewer.get_username()}: {ReviewVerdict(verdict).label}"
        + (f" — {comment}" if comment else ""),
    )
    logger.info(
        "pin proposal reviewed",
        extra={
            "proposal": proposal.pk,
            "verdict": verdict,
            # The versions under review: what each changed pin becomes.
            **pin_fields(
                list(proposal.pins.values_list("pin_id", "after__content_hash"))
                or [(proposal.pin_id, (proposal.draft or {}).get("version"))]
            ),
        },
    )
    proposal_judge(proposal=proposal)
    return review


def approvals_dismiss(*, proposal: Proposal, content_hash: str) -> int:
    """Approvals given for another content go stale (kept, shown struck through)."""
    dismissed = (
        Review.objects.filter(
            proposal=proposal,
            verdict=ReviewVerdict.APPROVE,
            dismissed_at__isnull=True,
        )
        .filter(~Q(content_hash=content_hash))
        .update(dismissed_at=timezone.now())
    )
    if dismissed:
        ProposalEvent.objects.create(
            proposal=proposal,
            kind="approvals_dismissed",
            text=f"{dismissed} approval{'s' if dismissed > 1 else ''} dismissed: "
            "the pins changed; review again",
        )
    return dismissed
