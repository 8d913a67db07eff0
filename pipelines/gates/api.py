"""The gates' /api/v1 router: budgets (GET/PUT), a commit's gate verdicts, flaky
tests. Token scope `ci` (`budgets` to replace the budgets); everything is restricted to the token's domain."""

import re

from django.http import HttpRequest
from ninja import Query, Router

from dashboard.domains.auth import TokenAuth
from dashboard.platform.api import ApiProblem, inline_schema, problems
from dashboard.platform.bodies import read_body
from dashboard.platform.json_input import json_loads
from dashboard.platform.pagination import clamp_page_size, keyset_page
from pipelines.gates import selectors as selectors_gates
from pipelines.gates.schemas import (
    Budgets,
    BudgetsDocument,
    CommitFilter,
    CommitVerdicts,
    FlakyTestOut,
    FlakyTestPage,
    PageParams,
    VerdictOut,
)
from pipelines.gates.services import budgets as budget_services

SHA_RE = re.compile(r"^[0-9a-fA-F]{4,64}$")
MAX_BUDGET_BODY = 1_000_000

CI = TokenAuth(scope="ci")
# Replacing budgets is a domain admin's act (manage_budgets), so its own scope.
BUDGETS = TokenAuth(scope="budgets")
router = Router(tags=["gates"])


@router.get(
    "/budgets",
    auth=CI,
    response={200: Budgets, **problems(401, 403)},
    url_name="budgets",
    summary="The domain's performance and query-plan budgets",
)
def budgets_get(request: HttpRequest):
    document = budget_services.budget_document_of(request.domain)
    return Budgets.of(request.domain.slug, document.as_json())


@router.put(
    "/budgets",
    auth=BUDGETS,
    response={200: Budgets, **problems(400, 401, 403, 413, 422)},
    url_name="budgets",
    summary="Replace every budget of the domain",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(BudgetsDocument)}},
        }
    },
)
def budgets_replace(request: HttpRequest):
    """The body is the whole document (what GET returns, without `domain`), so it
    can live in the team's repository. All or nothing; audited; the same document
    again writes nothing. A 422 says where the document is wrong."""
    # The document is checked by the budgets service, as the budgets page's is:
    # one set of rules and messages ("perf[1] repeats service …"), not two.
    body = read_body(request, limit=MAX_BUDGET_BODY)
    try:
        document = json_loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, f"The body is not JSON: {exc}.")
    try:
        replaced = budget_services.budgets_replace(
            domain=request.domain,
            document=document,
            actor_label=f"token {request.ingest_token.prefix}",
        )
    except budget_services.BudgetDocumentError as exc:
        raise ApiProblem(422, str(exc), title="Invalid budgets document")
    return Budgets.of(request.domain.slug, replaced.as_json())


@router.get(
    "/gates/{sha}",
    auth=CI,
    response={200: CommitVerdicts, **problems(400, 401, 403, 404, 422)},
    url_name="gates",
    summary="Every gate verdict of a commit",
)
def gates_for_commit(request: HttpRequest, sha: str, filters: Query[CommitFilter]):
    """`sha` is 4 to 64 hex digits; `?repository=owner/name` narrows the answer
    to one repository (404 if the domain has none by that name)."""
    if not SHA_RE.match(sha):
        raise ApiProblem(400, f"{sha!r} is not a commit sha (4–64 hexadecimal digits).")
    repository = None
    full_name = filters.repository.strip()
    if full_name:
        repository = selectors_gates.repository_of(request.domain, full_name)
        if repository is None:
            raise ApiProblem(
                404, f"No repository {full_name!r} in domain {request.domain.slug!r}."
            )
    verdicts = selectors_gates.verdicts_for_commit(
        request.domain, sha.lower(), repository
    ).select_related("domain")
    return CommitVerdicts(
        sha=sha.lower(), verdicts=[VerdictOut.of(v) for v in verdicts]
    )


@router.get(
    "/flaky-tests",
    auth=CI,
    response={200: FlakyTestPage, **problems(400, 401, 403, 422)},
    url_name="flaky-tests",
    summary="The domain's flaky tests, most recent first",
)
def flaky_tests(request: HttpRequest, params: Query[PageParams]):
    """Keyset pagination: pass `next_cursor` as `cursor` until it is null;
    `page_size` is at most 200."""
    page = keyset_page(
        selectors_gates.flaky_tests_of(request.domain),
        ordering=("-last_seen_at", "-id"),
        cursor=params.cursor,
        page_size=clamp_page_size(params.page_size),
    )
    return FlakyTestPage(
        items=[FlakyTestOut.of(f) for f in page.items],
        next_cursor=page.next_cursor,
        page_size=page.page_size,
    )
