"""Reads for pins, proposals, reviews and rollouts, restricted to a domain the
caller may see (the caller restricts the domain first) or to the user."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from dashboard.domains import policy
from dashboard.domains.models import Domain
from dashboard.domains.selectors import domains_for
from pipelines.gates.models import GateContext, GateVerdict
from pipelines.pins.models import (
    Pin,
    Proposal,
    ProposalState,
    Review,
    ReviewVerdict,
    Rollout,
    RolloutEvent,
)


def pins_of(domain: Domain) -> QuerySet[Pin]:
    return (
        Pin.objects.filter(domain=domain, removed=False)
        .select_related("repository", "current", "stable", "candidate")
        .order_by("repository__full_name", "pin_id")
    )


def pin_current(domain: Domain, full_name: str, pin_id: str) -> Pin | None:
    return (
        Pin.objects.filter(
            domain=domain,
            repository__full_name__iexact=full_name,
            pin_id=pin_id,
            removed=False,
        )
        .select_related("repository", "stable", "candidate", "current")
        .first()
    )


def proposals_of(domain: Domain) -> QuerySet[Proposal]:
    return Proposal.objects.filter(domain=domain).select_related("repository", "domain")


def proposal_detail(domain: Domain, pk: int) -> Proposal | None:
    return (
        Proposal.objects.filter(domain=domain, pk=pk)
        .select_related("repository", "domain", "proposer")
        .prefetch_related(
            Prefetch("pins__before"),
            Prefetch("pins__after"),
        )
        .first()
    )


def reviews_of(proposal: Proposal) -> QuerySet[Review]:
    return Review.objects.filter(proposal=proposal).select_related("reviewer")


def status_history_of(proposal: Proposal) -> QuerySet:
    """The pin-review verdict's changes on the proposal's head commit."""
    verdict = GateVerdict.objects.filter(
        repository_id=proposal.repository_id,
        sha=proposal.head_sha,
        context=GateContext.PIN_REVIEW,
    ).first()
    return verdict.changes.all() if verdict else GateVerdict.objects.none()


def rollouts_of_proposal(proposal: Proposal) -> QuerySet[Rollout]:
    return (
        Rollout.objects.filter(proposal=proposal)
        .select_related("pin", "from_version", "to_version")
        .prefetch_related("events")
    )


def rollouts_of_pin(pin: Pin) -> QuerySet[Rollout]:
    return Rollout.objects.filter(pin=pin).select_related(
        "from_version", "to_version", "proposal"
    )


def inbox_for(user: AbstractBaseUser) -> QuerySet[Proposal]:
    """Open proposals, across the domains where `user` reviews, that wait on
    them: not their own, and without their current (not stale) approval."""
    domains = domains_for(user, policy.Action.REVIEW_CHANGES)
    mine = Review.objects.filter(
        proposal=OuterRef("pk"),
        reviewer=user,
        verdict=ReviewVerdict.APPROVE,
        dismissed_at__isnull=True,
    )
    return (
        Proposal.objects.filter(domain__in=domains, state=ProposalState.OPEN)
        .exclude(content_hash="")
        .exclude(proposer=user)
        .exclude(Q(author__iexact=user.get_username()) & ~Q(author=""))
        .exclude(Exists(mine))
        .exclude(review_state="success")
        .select_related("domain", "repository")
        .order_by("-updated_at", "-id")
    )


def pin_changes_between(domain_id: int, *, since, until) -> QuerySet[RolloutEvent]:
    """What happened to the domain's pins between two instants (rollouts
    started, advanced, held, rolled back, done), oldest first: the incident
    page shows the hour before an incident began."""
    return (
        RolloutEvent.objects.filter(
            rollout__domain_id=domain_id, created_at__gte=since, created_at__lte=until
        )
        .select_related("rollout__pin", "rollout__to_version", "rollout__from_version")
        .order_by("created_at", "id")
    )
