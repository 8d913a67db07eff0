"""The gates' /api/v1 endpoints: budgets (GET/PUT), a commit's gate verdicts,
flaky tests. Token scope `ci`; everything is restricted to the token's domain."""

import json
import re

from django.http import HttpRequest, HttpResponse, JsonResponse

from dashboard.domains.auth import token_required
from dashboard.platform.pagination import BadCursor, clamp_page_size, keyset_page
from dashboard.platform.problems import problem
from pipelines.gates import selectors as selectors_gates
from pipelines.gates.models import FlakyTest, GateVerdict
from pipelines.gates.services import budgets as budget_services
from pipelines.gates.services.gates import commit_page_url

SHA_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")
MAX_BUDGET_BODY = 1_000_000


def _method_not_allowed(allowed: str) -> HttpResponse:
    response = problem(405, f"Use {allowed} on this endpoint.")
    response["Allow"] = allowed
    return response


@token_required(scope="ci")
def budgets(request: HttpRequest) -> HttpResponse:
    """GET: the domain's budgets document. PUT: replace them with the body."""
    if request.method == "GET":
        document = budget_services.budget_document_of(request.domain)
        return JsonResponse({"domain": request.domain.slug, **document.as_json()})
    if request.method != "PUT":
        return _method_not_allowed("GET, PUT")
    if len(request.body) > MAX_BUDGET_BODY:
        return problem(413, f"A budgets document is at most {MAX_BUDGET_BODY} bytes.")
    try:
        document = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        return problem(400, f"The body is not JSON: {exc}.")
    try:
        replaced = budget_services.budgets_replace(
            domain=request.domain,
            document=document,
            actor_label=f"token {request.ingest_token.prefix}",
        )
    except budget_services.BudgetDocumentError as exc:
        return problem(422, str(exc), title="Invalid budgets document")
    return JsonResponse({"domain": request.domain.slug, **replaced.as_json()})


def verdict_json(verdict: GateVerdict) -> dict:
    return {
        "repository": verdict.repository.full_name,
        "sha": verdict.sha,
        "context": verdict.context,
        "state": verdict.state,
        "description": verdict.description,
        "details": verdict.details,
        "evaluated_at": verdict.evaluated_at.isoformat(),
        "changed_at": verdict.changed_at.isoformat(),
        "posted_state": verdict.posted_state or None,
        "posted_at": verdict.posted_at.isoformat() if verdict.posted_at else None,
        "post_error": verdict.post_error or None,
        "target_url": commit_page_url(verdict),
    }


@token_required(scope="ci")
def gates_for_commit(request: HttpRequest, sha: str) -> HttpResponse:
    """Every gate verdict of a commit (`?repository=owner/name` narrows it)."""
    if request.method != "GET":
        return _method_not_allowed("GET")
    if not SHA_RE.match(sha):
        return problem(400, f"{sha!r} is not a commit sha (4–64 hexadecimal digits).")
    repository = None
    full_name = request.GET.get("repository", "").strip()
    if full_name:
        repository = selectors_gates.repository_of(request.domain, full_name)
        if repository is None:
            return problem(
                404,
                f"No repository {full_name!r} in domain {request.domain.slug!r}.",
            )
    verdicts = selectors_gates.verdicts_for_commit(
        request.domain, sha.lower(), repository
    ).select_related("domain")
    return JsonResponse(
        {"sha": sha.lower(), "verdicts": [verdict_json(v) for v in verdicts]}
    )


def flaky_json(flaky: FlakyTest) -> dict:
    return {
        "repository": flaky.repository.full_name,
        "test": f"{flaky.classname}::{flaky.name}" if flaky.classname else flaky.name,
        "classname": flaky.classname,
        "name": flaky.name,
        "flip_count": flaky.flip_count,
        "first_seen_at": flaky.first_seen_at.isoformat(),
        "last_seen_at": flaky.last_seen_at.isoformat(),
        "last_sha": flaky.last_sha,
    }


@token_required(scope="ci")
def flaky_tests(request: HttpRequest) -> HttpResponse:
    """The domain's flaky tests, most recent first (cursor pagination)."""
    if request.method != "GET":
        return _method_not_allowed("GET")
    try:
        page = keyset_page(
            selectors_gates.flaky_tests_of(request.domain),
            ordering=("-last_seen_at", "-id"),
            cursor=request.GET.get("cursor"),
            page_size=clamp_page_size(request.GET.get("page_size")),
        )
    except BadCursor as exc:
        return problem(400, str(exc))
    return JsonResponse(
        {
            "items": [flaky_json(f) for f in page.items],
            "next_cursor": page.next_cursor,
            "page_size": page.page_size,
        }
    )
