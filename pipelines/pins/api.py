"""The pins' /api/v1 router: the pins file's JSON Schema (any token, so CI can
lint), a pin's current versions (token scope `pins`), and reviews of a proposal
(a signed-in reviewer, or a `reviews` token acting as its creator)."""

from django.http import HttpRequest, JsonResponse
from ninja import Router, Status
from ninja.security import SessionAuth

from dashboard.domains import policy
from dashboard.domains.auth import TokenAuth
from dashboard.domains.selectors import actions_on, domains_for
from dashboard.domains.services import permission_denial_record
from dashboard.platform.api import ApiProblem, problems
from pipelines.pins import selectors
from pipelines.pins.models import Proposal
from pipelines.pins.schemas import PinCurrentOut, PinSplitOut, ProposalOut, ReviewIn
from pipelines.pins.services.reviews import ReviewRefused, review_submit
from pipelines.pins.spec import JSON_SCHEMA
from pipelines.pins.split import latest_rollout_of, rollout_split

PINS = TokenAuth(scope="pins")
REVIEWS = TokenAuth(scope="reviews")
ANY_TOKEN = TokenAuth()
router = Router(tags=["pins"])


class SignedInPerson(SessionAuth):
    """A person signed in to the pages (CSRF checked); absent → the next auth."""

    openapi_description = "A signed-in session (the pages' cookie), with a CSRF token."

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


@router.get(
    "/schemas/pins.json",
    auth=ANY_TOKEN,
    response={200: dict, **problems(401)},
    url_name="pins-schema",
    summary="The JSON Schema of the pins file (.controlplane/pins.yaml)",
)
def pins_schema(request: HttpRequest):
    """Lint the pins file in CI with any JSON Schema validator (YAML → JSON).
    Any valid token of the domain (a CI job's `ci` token) may read it."""
    return JsonResponse(JSON_SCHEMA, content_type="application/schema+json")


@router.get(
    "/pins/{owner}/{name}/{pin_id}/current",
    auth=PINS,
    response={200: PinCurrentOut, **problems(401, 403, 404)},
    url_name="pin-current",
    summary="A pin's stable and candidate versions and the candidate's traffic %",
)
def pin_current(request: HttpRequest, owner: str, name: str, pin_id: str):
    """`{owner}/{name}` is the repository. During a rollout send `traffic_pct`
    % of requests to `candidate`, the rest to `stable`; otherwise `candidate`
    is null and everything goes to `stable`."""
    pin = selectors.pin_current(request.domain, f"{owner}/{name}", pin_id)
    if pin is None:
        raise ApiProblem(
            404,
            f"No pin {pin_id!r} in {owner}/{name} in domain {request.domain.slug!r} "
            "(pins are read from the default branch's pins file).",
        )
    return PinCurrentOut.of(pin)


@router.get(
    "/pins/{owner}/{name}/{pin_id}/split",
    auth=PINS,
    response={200: PinSplitOut, **problems(401, 403, 404)},
    url_name="pin-split",
    summary="A rollout's latency and errors by pin version (stable vs candidate)",
)
def pin_split(request: HttpRequest, owner: str, name: str, pin_id: str):
    """The pin's running rollout (else its latest): p50/p95 of the perf samples
    and the error rate of the SLI points tagged with the pin and either
    version, since the rollout started, as of now (or when it finished)."""
    pin = selectors.pin_current(request.domain, f"{owner}/{name}", pin_id)
    rollout = latest_rollout_of(pin.pk) if pin is not None else None
    if rollout is None:
        raise ApiProblem(
            404,
            f"No rollout of pin {pin_id!r} in {owner}/{name} in domain "
            f"{request.domain.slug!r}: a split exists once a merged change of "
            "the pin rolls out.",
        )
    return PinSplitOut.of(rollout_split(rollout))


def _proposal_for(request: HttpRequest, proposal_id: str) -> Proposal:
    missing = ApiProblem(404, f"No proposal {proposal_id!r} you may see.")
    if not proposal_id.isdigit() or len(proposal_id) > 15:
        raise missing
    if getattr(request, "ingest_token", None) is not None:
        visible = Proposal.objects.filter(domain=request.domain)
    else:
        visible = Proposal.objects.filter(domain__in=domains_for(request.user))
    proposal = (
        visible.select_related("domain", "repository")
        .filter(pk=int(proposal_id))
        .first()
    )
    if proposal is None:
        elsewhere = (
            Proposal.objects.filter(pk=int(proposal_id))
            .select_related("domain")
            .first()
        )
        if elsewhere is not None:
            permission_denial_record(
                user=getattr(request, "user", None)
                if getattr(request, "ingest_token", None) is None
                else None,
                action=policy.Action.REVIEW_CHANGES,
                domain=elsewhere.domain,
                path=request.path,
                status_code=404,
            )
        raise missing
    return proposal


@router.post(
    "/proposals/{proposal_id}/reviews",
    auth=[SignedInPerson(), REVIEWS],
    response={201: ProposalOut, **problems(400, 401, 403, 404, 409, 422)},
    url_name="proposal-reviews",
    summary="Approve a pin proposal or request changes, with a comment",
)
def proposal_review(request: HttpRequest, proposal_id: str, payload: ReviewIn):
    """The reviewer is the signed-in person, or the `reviews` token's creator.
    403: not a reviewer of the domain, or one's own change; 409: the proposal
    is not open, or its rollout plan is invalid (the detail says what is
    missing). Every review is in the audit log."""
    token = getattr(request, "ingest_token", None)
    if token is not None:
        reviewer = token.created_by
        if reviewer is None:
            raise ApiProblem(
                403,
                "This token was minted by an operator and has no person to review "
                "as; a reviewer signs in, or uses a 'reviews' token they created.",
            )
        label = f"{reviewer.get_username()} (token {token.prefix})"
    else:
        reviewer, label = request.user, ""
    proposal = _proposal_for(request, proposal_id)
    if policy.Action.REVIEW_CHANGES not in actions_on(reviewer, proposal.domain):
        permission_denial_record(
            user=reviewer,
            action=policy.Action.REVIEW_CHANGES,
            domain=proposal.domain,
            path=request.path,
            status_code=403,
        )
        raise ApiProblem(403, "Only a reviewer of this domain may review its changes.")
    try:
        review_submit(
            proposal=proposal,
            reviewer=reviewer,
            verdict=payload.verdict,
            comment=payload.comment,
            actor_label=label,
        )
    except ReviewRefused as refused:
        status = 403 if refused.forbidden else 409
        raise ApiProblem(status, str(refused), title="Review refused") from refused
    proposal.refresh_from_db()
    return Status(201, ProposalOut.of(proposal))
