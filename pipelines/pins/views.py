"""Pins pages: a pin (versions, rollouts, propose a change), the proposals, a
proposal (diffs, risks, reviews, status history, rollout), a reviewer's
inbox. Thin: restrict, validate, one call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from dashboard.domains import policy
from dashboard.domains.access import domain_view, in_domain, may
from dashboard.domains.models import Domain
from dashboard.platform.pagination import page_of
from pipelines.pins import charts, selectors
from pipelines.pins.forms import ProposeForm, ReviewForm
from pipelines.pins.models import Proposal, Rollout
from pipelines.pins.services import here, reviews, rollouts
from pipelines.pins.split import MAX_SAMPLES, latest_rollout_of, rollout_split


def _splits(rollout_list) -> list[tuple]:
    """Each rollout's split by pin version, with its charts."""
    found = []
    for rollout in rollout_list:
        split = rollout_split(rollout)
        found.append((split, [] if split.is_empty else charts.split_charts(split)))
    return found


def _pin_page(request, domain, pin, *, form=None, status=200) -> HttpResponse:
    latest = latest_rollout_of(pin.pk)
    splits = _splits([latest] if latest else [])
    context = {
        "splits": splits,
        "charts": [c for _, chart_list in splits for c in chart_list],
        "max_samples": MAX_SAMPLES,
        "domain": domain,
        "pin": pin,
        "rollouts": selectors.rollouts_of_pin(pin).prefetch_related("events")[:10],
        "form": form or ProposeForm(),
        "can_propose": may(request, policy.Action.PROPOSE_CHANGES),
        "can_advance": may(request, policy.Action.MANAGE_CI),
    }
    return render(request, "pipelines/pin.html", context, status=status)


@domain_view(policy.Action.BROWSE)
def pin_detail(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    pin = in_domain(
        request, selectors.pins_of(domain), domain, pk, policy.Action.BROWSE
    )
    return _pin_page(request, domain, pin)


@domain_view(policy.Action.PROPOSE_CHANGES)
@require_POST
def pin_propose(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    pin = in_domain(
        request, selectors.pins_of(domain), domain, pk, policy.Action.PROPOSE_CHANGES
    )
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return _pin_page(request, domain, pin, form=form, status=422)
    try:
        proposal = here.proposal_here_create(
            pin=pin,
            changes=form.changes(pin.current.entry.get("rollout")),
            prompt_text=form.prompt(),
            title=form.cleaned_data["title"],
            rationale=form.cleaned_data["rationale"],
            proposer=request.user,
        )
    except here.ProposalInvalid as exc:
        for error in exc.errors:
            form.add_error(None, error)
        return _pin_page(request, domain, pin, form=form, status=422)
    messages.success(request, "Proposed: the pull request is being opened on GitHub.")
    return redirect(proposal.get_absolute_url())


@domain_view(policy.Action.MANAGE_CI)
@require_POST
def rollout_advance(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    rollout = in_domain(
        request,
        Rollout.objects.select_related("pin"),
        domain,
        pk,
        policy.Action.MANAGE_CI,
    )
    try:
        rollouts.rollout_advance_by(rollout=rollout, actor=request.user)
        messages.success(request, "Rollout advanced.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("pins:pin", slug=domain.slug, pk=rollout.pin_id)


@domain_view(policy.Action.BROWSE)
@vary_on_headers("HX-Request")
def proposal_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    page = page_of(
        request, selectors.proposals_of(domain), ordering=("-updated_at", "-id")
    )
    template = "pipelines/proposals.html"
    if request.htmx:
        template += "#rows"
    return render(request, template, {"domain": domain, "page": page})


def _proposal_context(request, domain, proposal, form=None, error="") -> dict:
    rollout_list = list(selectors.rollouts_of_proposal(proposal))
    return {
        "domain": domain,
        "proposal": proposal,
        "pins": proposal.pins.all(),
        "reviews": selectors.reviews_of(proposal),
        "events": proposal.events.all()[:50],
        "status_history": selectors.status_history_of(proposal)[:20]
        if proposal.head_sha
        else [],
        "rollouts": rollout_list,
        "charts": [charts.rollout_chart(r) for r in rollout_list],
        "splits": _splits(rollout_list),
        "max_samples": MAX_SAMPLES,
        "form": form or ReviewForm(),
        "can_review": may(request, policy.Action.REVIEW_CHANGES),
        "error": error,
    }


@domain_view(policy.Action.BROWSE, write_action=policy.Action.REVIEW_CHANGES)
@require_http_methods(["GET", "POST"])
def proposal_detail(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    """Reviewers approve or request changes here (htmx: the review area only)."""
    proposal = selectors.proposal_detail(domain, pk)
    if proposal is None:
        proposal = in_domain(
            request, Proposal.objects.all(), domain, pk, policy.Action.BROWSE
        )
    if request.method == "GET":
        context = _proposal_context(request, domain, proposal)
        return render(request, "pipelines/proposal.html", context)
    form = ReviewForm(request.POST)
    error, status = "", 200
    if not form.is_valid():
        status = 422
    else:
        try:
            reviews.review_submit(
                proposal=proposal,
                reviewer=request.user,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
            )
            form = None
        except reviews.ReviewRefused as refused:
            error, status = str(refused), 422
    proposal = selectors.proposal_detail(domain, pk)
    context = _proposal_context(request, domain, proposal, form=form, error=error)
    template = "pipelines/proposal.html"
    if request.htmx:
        template += "#review-area"
    return render(request, template, context, status=status)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Open proposals across domains that wait on the signed-in reviewer."""
    page = page_of(
        request, selectors.inbox_for(request.user), ordering=("-updated_at", "-id")
    )
    return render(request, "pipelines/inbox.html", {"page": page})
