"""Pages for budgets, flaky tests and a commit's gates. Thin: restrict,
validate, one call, render."""

import json
import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from dashboard.domains import policy
from dashboard.domains.access import domain_view, may
from dashboard.domains.models import Domain
from dashboard.platform.json_input import json_loads
from dashboard.platform.pagination import page_of
from pipelines.gates import selectors
from pipelines.gates.forms import FORMS, PerfBudgetForm, QueryPlanBudgetForm
from pipelines.gates.services import budgets as budget_services
from pipelines.ingest import selectors as selectors_ingest


def _budgets_page(
    request: HttpRequest, domain, *, status: int = 200, **overrides
) -> HttpResponse:
    document = budget_services.budget_document_of(domain)
    context = {
        "domain": domain,
        "perf_budgets": selectors.perf_budgets_of(domain),
        "plan_budgets": selectors.query_plan_budgets_of(domain),
        "can_edit": may(request, policy.Action.MANAGE_BUDGETS),
        "document_text": json.dumps(document.as_json(), indent=2),
        "perf_form": PerfBudgetForm(),
        "plan_form": QueryPlanBudgetForm(),
        "error": "",
        **overrides,
    }
    return render(request, "pipelines/budgets.html", context, status=status)


@domain_view(policy.Action.BROWSE, write_action=policy.Action.MANAGE_BUDGETS)
@require_http_methods(["GET", "POST"])
def budgets(request: HttpRequest, domain: Domain) -> HttpResponse:
    """Browsers of the domain read the budgets; domain admins replace them."""
    if request.method == "POST":
        return _budgets_replace(request, domain)
    return _budgets_page(request, domain)


def _saved(request: HttpRequest, domain) -> HttpResponse:
    messages.success(request, "Budgets saved. The next evaluation uses them.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("gates:budgets", args=[domain.slug]))
    return redirect("gates:budgets", slug=domain.slug)


def _budgets_replace(request: HttpRequest, domain: Domain) -> HttpResponse:
    text = request.POST.get("document", "")
    error = ""
    try:
        document = json_loads(text)
    except ValueError as exc:
        error = f"Not JSON: {exc}."
    if not error:
        try:
            budget_services.budgets_replace(
                domain=domain, document=document, actor=request.user
            )
        except budget_services.BudgetDocumentError as exc:
            error = str(exc)
    if not error:
        return _saved(request, domain)
    if request.htmx:
        context = {"domain": domain, "document_text": text, "error": error}
        return render(request, "pipelines/budgets.html#editor", context, status=422)
    return _budgets_page(request, domain, status=422, document_text=text, error=error)


def _one_budget(detail: str) -> str:
    """ "perf[3] sets no limit…" → "This budget sets no limit…": the form shows
    one budget, so its position in the document means nothing to the reader."""
    return re.sub(r"^(?:perf|query_plans)\[\d+\][. ]?", "This budget: ", detail)


@domain_view(policy.Action.MANAGE_BUDGETS)
@require_POST
def budget_set(request: HttpRequest, domain: Domain, kind: str) -> HttpResponse:
    """Add or change one budget (same service and scenario/query: replaced)."""
    form = FORMS[kind](request.POST)
    form_name = "perf_form" if kind == "perf" else "plan_form"
    if not form.is_valid():
        return _budgets_page(request, domain, status=422, **{form_name: form})
    try:
        budget_services.budget_set(
            domain=domain, kind=kind, budget=form.cleaned_data, actor=request.user
        )
    except budget_services.BudgetDocumentError as exc:
        form.add_error(None, _one_budget(str(exc)))
        return _budgets_page(request, domain, status=422, **{form_name: form})
    return _saved(request, domain)


@domain_view(policy.Action.MANAGE_BUDGETS)
@require_POST
def budget_remove(request: HttpRequest, domain: Domain, kind: str) -> HttpResponse:
    budget_services.budget_remove(
        domain=domain,
        kind=kind,
        service=request.POST.get("service", ""),
        name=request.POST.get("name", ""),
        actor=request.user,
    )
    return _saved(request, domain)


@domain_view(policy.Action.BROWSE)
@vary_on_headers("HX-Request")
def flaky_tests(request: HttpRequest, domain: Domain) -> HttpResponse:
    page = page_of(
        request,
        selectors.flaky_tests_of(domain),
        ordering=("-last_seen_at", "-id"),
    )
    template = "pipelines/flaky_tests.html"
    if request.htmx:
        template += "#rows"
    return render(request, template, {"domain": domain, "page": page})


@domain_view(policy.Action.BROWSE)
def commit_gates(request: HttpRequest, domain: Domain, sha: str) -> HttpResponse:
    """A commit's gate verdicts (where GitHub's status links point) and what CI
    measured at it (where the performance and query-plan chart points lead)."""
    repository = None
    full_name = request.GET.get("repository", "").strip()
    if full_name:
        repository = selectors.repository_of(domain, full_name)
    verdicts = selectors.verdicts_for_commit(
        domain, sha.lower(), repository
    ).prefetch_related("changes")
    # What was measured at the commit: the page a chart point opens.
    samples, plans = selectors_ingest.evidence_of_commit(
        domain, sha.lower(), repository
    )
    context = {
        "domain": domain,
        "sha": sha.lower(),
        "repository": repository,
        "verdicts": verdicts,
        "samples": samples,
        "plans": plans,
    }
    return render(request, "pipelines/commit_gates.html", context)
