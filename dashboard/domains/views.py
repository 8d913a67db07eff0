"""Domain pages. Thin: restrict, validate, call a selector or service, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from dashboard.domains import forms, policy, selectors, services, snippets
from dashboard.domains.access import domain_view, in_domain
from dashboard.domains.models import Domain
from dashboard.platform.pagination import page_of

DETAIL = "dashboard/domain_detail.html"
# Other apps' pages about one domain, linked from the domain page when installed.
DOMAIN_PAGES = [
    ("Dashboard", "dash:dashboard"),
    ("CI runs", "pipelines:runs"),
    ("Webhook deliveries", "pipelines:deliveries"),
    ("Budgets", "gates:budgets"),
    ("Flaky tests", "gates:flaky-tests"),
    ("SLOs", "slos:slo-list"),
    ("Exports", "dash:export-list"),
    ("Settings", "pipelines:domain-settings"),
]
# Pages only some roles may open: linked only for them (a link to a 403 is a trap).
DOMAIN_PAGE_ACTIONS = {"pipelines:domain-settings": policy.Action.MANAGE_SETTINGS}


def _can(actions: frozenset[str]) -> dict[str, bool]:
    """Action name → allowed, for templates ({% if can.manage_tokens %})."""
    return {a.value: a.value in actions for a in policy.Action}


def _row_context(request: HttpRequest, domain: Domain, membership, **extra) -> dict:
    return {
        "m": membership,
        "domain": domain,
        "roles": policy.Role.choices,
        "can": _can(request.domain_actions),
        **extra,
    }


def _domain_pages(domain: Domain, actions: frozenset[str]) -> list[tuple[str, str]]:
    pages = []
    for label, name in DOMAIN_PAGES:
        if DOMAIN_PAGE_ACTIONS.get(name, policy.Action.BROWSE) not in actions:
            continue
        try:
            pages.append((label, reverse(name, kwargs={"slug": domain.slug})))
        except NoReverseMatch:
            continue  # that app's pages are not installed here
    return pages


def _detail_context(request: HttpRequest, domain: Domain, **extra) -> dict:
    actions = request.domain_actions
    members = list(selectors.memberships_of(domain).order_by("user__username"))
    mine = next((m for m in members if m.user_id == request.user.pk), None)
    context = {
        "domain": domain,
        "can": _can(actions),
        "pages": _domain_pages(domain, actions),
        "services": domain.services.all(),
        "repositories": domain.repositories.all(),
        "members": members,
        "my_role": mine.get_role_display() if mine else None,
        "roles": policy.Role.choices,
        "member_form": forms.MemberAddForm(),
        "token_form": forms.TokenCreateForm(actions=actions),
    }
    if policy.Action.MANAGE_TOKENS in actions:
        context["tokens"] = selectors.tokens_of(domain)
        issued = extra.get("issued")
        first_repository = next(iter(context["repositories"]), None)
        context["snippets"] = snippets.ci_snippets(
            base_url=f"{request.scheme}://{request.get_host()}",
            repository=first_repository.full_name if first_repository else "owner/name",
            token=issued.plaintext if issued else "",
        )
    if policy.Action.REVIEW_CHANGES in actions:
        # Reviewers mint and revoke their own `reviews` tokens (they may not
        # manage the domain's other tokens).
        context["review_tokens"] = _own_review_tokens(request, domain)
        context["review_token_form"] = forms.ReviewTokenForm()
    context.update(extra)
    return context


def _own_review_tokens(request: HttpRequest, domain: Domain) -> list:
    return [
        t
        for t in selectors.tokens_of(domain).filter(created_by=request.user)
        if policy.TokenScope.REVIEWS in t.scopes
    ]


# --- Pages --------------------------------------------------------------------------
@domain_view(policy.Action.BROWSE)
def domain_detail(request: HttpRequest, domain: Domain) -> HttpResponse:
    return render(request, DETAIL, _detail_context(request, domain))


# --- Members ------------------------------------------------------------------------
@domain_view(policy.Action.MANAGE_MEMBERS)
@require_POST
def member_add(request: HttpRequest, domain: Domain) -> HttpResponse:
    form = forms.MemberAddForm(request.POST, domain=domain)
    if not form.is_valid():
        template = DETAIL + "#members" if request.htmx else DETAIL
        context = _detail_context(request, domain, member_form=form)
        return render(request, template, context, status=422)
    outcome = services.membership_set(
        user=form.cleaned_data["user"],
        domain=domain,
        role=form.cleaned_data["role"],
        actor=request.user,
    )
    verb = {"created": "added as", "updated": "is now", "unchanged": "already is"}
    notice = (
        f"{form.cleaned_data['username']} {verb[outcome.status]} "
        f"{policy.Role(form.cleaned_data['role']).label}."
    )
    if request.htmx:
        context = _detail_context(request, domain, member_notice=notice)
        return render(request, DETAIL + "#members", context)
    messages.success(request, notice)
    return redirect(domain.get_absolute_url() + "#members")


@domain_view(policy.Action.MANAGE_MEMBERS)
@require_POST
def member_role(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    membership = in_domain(
        request,
        selectors.memberships_of(domain),
        domain,
        pk,
        policy.Action.MANAGE_MEMBERS,
    )
    form = forms.MemberRoleForm(request.POST, membership=membership)
    if not form.is_valid():
        error = " ".join(form.errors["role"])
        if not request.htmx:
            messages.error(request, error)
            return redirect(domain.get_absolute_url() + "#members")
        context = _row_context(request, domain, membership, row_error=error)
        return render(request, DETAIL + "#member-row", context, status=422)
    outcome = services.membership_set(
        user=membership.user,
        domain=domain,
        role=form.cleaned_data["role"],
        actor=request.user,
    )
    if request.htmx:
        context = _row_context(
            request,
            domain,
            outcome.obj,
            row_notice=f"Now {outcome.obj.get_role_display()}.",
        )
        return render(request, DETAIL + "#member-row", context)
    messages.success(
        request,
        f"{membership.user.get_username()} is now {outcome.obj.get_role_display()}.",
    )
    return redirect(domain.get_absolute_url() + "#members")


@domain_view(policy.Action.MANAGE_MEMBERS)
@require_POST
def member_remove(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    membership = in_domain(
        request,
        selectors.memberships_of(domain),
        domain,
        pk,
        policy.Action.MANAGE_MEMBERS,
    )
    username = membership.user.get_username()
    if selectors.leaves_no_admin(domain, membership.user, None):
        error = forms.LAST_ADMIN % {"username": username}
        if not request.htmx:
            messages.error(request, error)
            return redirect(domain.get_absolute_url() + "#members")
        context = _row_context(request, domain, membership, row_error=error)
        return render(request, DETAIL + "#member-row", context, status=422)
    services.membership_remove(membership=membership, actor=request.user)
    if request.htmx:
        # An empty 200 removes the row (hx-swap="outerHTML").
        return HttpResponse("")
    messages.success(request, f"{username} is no longer a member of {domain.name}.")
    return redirect(domain.get_absolute_url() + "#members")


# --- Ingest tokens ------------------------------------------------------------------
@domain_view(policy.Action.MANAGE_TOKENS)
def token_list(request: HttpRequest, domain: Domain) -> HttpResponse:
    """POST: create a token and show its secret this once (GET: the domain page)."""
    if request.method == "GET":
        # The tokens live on the domain page; this URL is where the form posts.
        return redirect(domain.get_absolute_url() + "#tokens")
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    form = forms.TokenCreateForm(request.POST, actions=request.domain_actions)
    template = DETAIL + "#tokens" if request.htmx else DETAIL
    if not form.is_valid():
        context = _detail_context(request, domain, token_form=form)
        return render(request, template, context, status=422)
    try:
        issued = services.ingest_token_create(
            domain=domain,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            actor=request.user,
        )
    except services.TokenScopeRefused as exc:  # the role changed meanwhile
        form.add_error("scopes", str(exc))
        context = _detail_context(request, domain, token_form=form)
        return render(request, template, context, status=422)
    context = _detail_context(request, domain, issued=issued)
    response = render(request, template, context, status=201)
    # The secret is in this body only: no cache, proxy or back button may keep it.
    add_never_cache_headers(response)
    return response


@domain_view(policy.Action.MANAGE_TOKENS)
@require_POST
def token_revoke(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    token = in_domain(
        request, selectors.tokens_of(domain), domain, pk, policy.Action.MANAGE_TOKENS
    )
    services.ingest_token_revoke(token=token, actor=request.user)
    if request.htmx:
        token.refresh_from_db(fields=["revoked_at"])
        return render(
            request,
            DETAIL + "#token-row",
            {"token": token, "domain": domain, "can": _can(request.domain_actions)},
        )
    messages.success(request, f"Token {token.prefix} ({token.name}) revoked.")
    return redirect(domain.get_absolute_url() + "#tokens")


# --- A reviewer's own tokens ----------------------------------------------------------
@domain_view(policy.Action.REVIEW_CHANGES)
@require_POST
def review_token_create(request: HttpRequest, domain: Domain) -> HttpResponse:
    """A `reviews` token for the reviewer, its secret shown this once."""
    form = forms.ReviewTokenForm(request.POST)
    template = DETAIL + "#review-tokens" if request.htmx else DETAIL
    if not form.is_valid():
        context = _detail_context(request, domain, review_token_form=form)
        return render(request, template, context, status=422)
    try:
        issued = services.ingest_token_create(
            domain=domain,
            name=form.cleaned_data["name"],
            scopes=[policy.TokenScope.REVIEWS.value],
            actor=request.user,
        )
    except services.TokenScopeRefused as exc:  # the role changed meanwhile
        form.add_error(None, str(exc))
        context = _detail_context(request, domain, review_token_form=form)
        return render(request, template, context, status=422)
    context = _detail_context(request, domain, review_issued=issued)
    response = render(request, template, context, status=201)
    add_never_cache_headers(response)
    return response


@domain_view(policy.Action.REVIEW_CHANGES)
@require_POST
def review_token_revoke(request: HttpRequest, domain: Domain, pk: int) -> HttpResponse:
    """Only the reviewer's own tokens: another's is a 404 like a missing one."""
    token = in_domain(
        request,
        selectors.tokens_of(domain).filter(created_by=request.user),
        domain,
        pk,
        policy.Action.REVIEW_CHANGES,
    )
    services.ingest_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token {token.prefix} ({token.name}) revoked.")
    return redirect(domain.get_absolute_url() + "#review-tokens")


# --- Audit log ----------------------------------------------------------------------
@domain_view(policy.Action.VIEW_AUDIT)
def audit_log(request: HttpRequest, domain: Domain) -> HttpResponse:
    page = page_of(request, selectors.audit_of(domain), ordering=("-created_at", "-id"))
    template = "dashboard/audit_log.html"
    if request.htmx and request.GET.get("cursor"):
        template += "#audit-rows"
    response = render(request, template, {"domain": domain, "page": page})
    response["Vary"] = "HX-Request"
    return response
