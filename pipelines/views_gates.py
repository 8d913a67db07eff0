"""Pages for budgets, flaky tests and a commit's gates. Thin: restrict,
validate, one call, render."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from dashboard import policy
from dashboard.pagination import BadCursor, clamp_page_size, keyset_page
from dashboard.selectors import domain_for, user_can
from pipelines import selectors_gates
from pipelines.services import budgets as budget_services


@login_required
@require_http_methods(["GET", "POST"])
def budgets(request: HttpRequest, slug: str) -> HttpResponse:
    """Browsers of the domain read the budgets; domain admins replace them."""
    if request.method == "POST":
        return _budgets_replace(request, slug)
    domain = domain_for(request.user, slug, path=request.path)
    document = budget_services.budget_document_of(domain)
    context = {
        "domain": domain,
        "perf_budgets": selectors_gates.perf_budgets_of(domain),
        "plan_budgets": selectors_gates.query_plan_budgets_of(domain),
        "can_edit": user_can(request.user, policy.Action.MANAGE_BUDGETS, domain),
        "document_text": json.dumps(document.as_json(), indent=2),
        "error": "",
    }
    return render(request, "pipelines/budgets.html", context)


def _budgets_replace(request: HttpRequest, slug: str) -> HttpResponse:
    domain = domain_for(
        request.user, slug, policy.Action.MANAGE_BUDGETS, path=request.path
    )
    text = request.POST.get("document", "")
    error = ""
    try:
        document = json.loads(text)
    except ValueError as exc:
        error = f"Not JSON: {exc}."
    if not error:
        try:
            budget_services.budgets_replace(
                domain=domain, document=document, actor=request.user
            )
        except budget_services.BudgetDocumentError as exc:
            error = str(exc)
    if error:
        context = {
            "domain": domain,
            "perf_budgets": selectors_gates.perf_budgets_of(domain),
            "plan_budgets": selectors_gates.query_plan_budgets_of(domain),
            "can_edit": True,
            "document_text": text,
            "error": error,
        }
        template = "pipelines/budgets.html"
        if request.htmx:
            template += "#editor"
        return render(request, template, context, status=422)
    messages.success(request, "Budgets saved. The next evaluation uses them.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("gates:budgets", args=[domain.slug]))
    return redirect("gates:budgets", slug=domain.slug)


@login_required
@vary_on_headers("HX-Request")
def flaky_tests(request: HttpRequest, slug: str) -> HttpResponse:
    domain = domain_for(request.user, slug, path=request.path)
    try:
        page = keyset_page(
            selectors_gates.flaky_tests_of(domain),
            ordering=("-last_seen_at", "-id"),
            cursor=request.GET.get("cursor"),
            page_size=clamp_page_size(request.GET.get("page_size")),
        )
    except BadCursor as exc:
        return render(
            request,
            "pipelines/flaky_tests.html",
            {"domain": domain, "page": None, "error": str(exc)},
            status=400,
        )
    template = "pipelines/flaky_tests.html"
    if request.htmx:
        template += "#rows"
    return render(request, template, {"domain": domain, "page": page, "error": ""})


@login_required
def commit_gates(request: HttpRequest, slug: str, sha: str) -> HttpResponse:
    """A commit's gate verdicts: where GitHub's status links point."""
    domain = domain_for(request.user, slug, path=request.path)
    repository = None
    full_name = request.GET.get("repository", "").strip()
    if full_name:
        repository = selectors_gates.repository_of(domain, full_name)
    verdicts = selectors_gates.verdicts_for_commit(
        domain, sha.lower(), repository
    ).prefetch_related("changes")
    context = {
        "domain": domain,
        "sha": sha.lower(),
        "repository": repository,
        "verdicts": verdicts,
    }
    return render(request, "pipelines/commit_gates.html", context)
