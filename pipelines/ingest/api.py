"""The ingestion /api/v1 router: GitHub webhooks, CI runs, JUnit reports,
performance samples and query plans. Thin: authenticate, validate (schemas), one
service call, answer; every error is problem+json (dashboard.platform.api)."""

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from pydantic import ValidationError

from config import request_context
from dashboard.domains.auth import TokenAuth
from dashboard.domains.services import permission_denial_record
from dashboard.platform.api import ApiProblem, problems
from dashboard.platform.bodies import body_chunks, declared_length, read_body
from dashboard.platform.pagination import clamp_page_size, keyset_page
from pipelines.ingest import selectors
from pipelines.ingest.api_support import idempotent, json_object, repository_of
from pipelines.ingest.models import Run, TestReport
from pipelines.ingest.schemas import (
    DeliveryAccepted,
    JUnitTarget,
    PerfSampleIn,
    PerfSampleOut,
    Pong,
    QueryPlanIn,
    QueryPlanOut,
    ReportAccepted,
    ReportOut,
    RunDetail,
    RunFilters,
    RunIn,
    RunOut,
    RunPage,
    RunUpserted,
)
from pipelines.ingest.services import junit, perf, plans, runs, webhooks
from pipelines.ingest.services.idempotency import idempotent_call

logger = logging.getLogger(__name__)

JSON_BODY_LIMIT = 10 * 1024 * 1024  # query plans of big queries run to megabytes
JUNIT_MAX_BYTES = getattr(settings, "JUNIT_MAX_BYTES", 200 * 1024 * 1024)
JUNIT_CONTENT_TYPES = ("application/xml", "text/xml", "application/junit+xml")

CI = TokenAuth(scope="ci")
router = Router(tags=["ingestion"])

# OpenAPI links: what a client (and the stateful fuzzer) may do next with an
# answer's `id`.
RUN_LINKS = {
    "links": {
        "GetRun": {
            "operationId": "pipelines_ingest_api_ci_run",
            "parameters": {"id": "$response.body#/id"},
        },
        "UploadJUnit": {
            "operationId": "pipelines_ingest_api_ci_run_junit",
            "parameters": {"id": "$response.body#/id"},
        },
    }
}
REPORT_LINKS = {
    "links": {
        "GetReport": {
            "operationId": "pipelines_ingest_api_ci_report",
            "parameters": {"id": "$response.body#/id"},
        }
    }
}


# --- GitHub webhooks ----------------------------------------------------------------
WEBHOOK_OPENAPI = {
    "security": [{"githubSignature": []}],
    "parameters": [
        {
            "name": "X-GitHub-Event",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "maxLength": 64},
        },
        {
            "name": "X-GitHub-Delivery",
            "in": "header",
            "required": True,
            "schema": {"type": "string", "maxLength": 100},
            "description": "The delivery's id: a redelivery is answered 200 and "
            "has no second effect.",
        },
        {
            "name": "X-Hub-Signature-256",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
        },
        {"name": "X-GitHub-Hook-ID", "in": "header", "schema": {"type": "string"}},
    ],
    "requestBody": {
        "required": True,
        "description": "The event's payload exactly as GitHub sends it (at most "
        "25 MB); the signature covers these raw bytes.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
}


@router.post(
    "/webhooks/github",
    auth=None,
    response={
        202: DeliveryAccepted,
        200: DeliveryAccepted | Pong,
        **problems(400, 401, 413),
    },
    url_name="github-webhook",
    summary="Receive a GitHub webhook delivery",
    openapi_extra=WEBHOOK_OPENAPI,
)
def github_webhook(request: HttpRequest):
    """Verify the signature, store the delivery (the outbox) and answer 202; a
    worker processes it. A redelivery is 200 with `duplicate: true`; `ping` is
    answered 200 and not stored."""
    # The HMAC is computed over the chunks as they stream in; the exact raw
    # bytes are kept for the outbox row.
    signature = webhooks.SignatureCheck(
        header=request.headers.get("X-Hub-Signature-256"),
        secrets=webhooks.webhook_secrets(),
    )
    body = read_body(request, limit=webhooks.MAX_BODY_BYTES, on_chunk=signature.update)
    if not signature.valid():
        logger.warning(
            "webhook signature refused",
            extra={
                "delivery_id": request.headers.get("X-GitHub-Delivery", "")[:100],
                "has_signature": "X-Hub-Signature-256" in request.headers,
            },
        )
        # Counted like every refusal (the body is not kept: it is a stranger's);
        # staff see these on the unmapped deliveries ledger.
        permission_denial_record(
            user=None,
            action=webhooks.SIGNATURE_DENIAL_ACTION,
            domain=None,
            path=request.path,
            status_code=401,
        )
        if not webhooks.webhook_secrets():
            raise ApiProblem(
                401,
                "No webhook secret is configured on this server, so no delivery "
                "can be verified: set GITHUB_WEBHOOK_SECRET (the same value as "
                "the GitHub webhook's secret) and restart.",
            )
        raise ApiProblem(
            401,
            "X-Hub-Signature-256 is missing or does not match the body: sign the "
            "raw body with HMAC-SHA256 and the webhook's secret.",
        )
    event = request.headers.get("X-GitHub-Event", "").strip()
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    missing = [
        name
        for name, value in (
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", delivery_id),
        )
        if not value
    ]
    if missing:
        raise ApiProblem(400, f"Missing header: {', '.join(missing)}.")
    if len(delivery_id) > 100 or len(event) > 64:
        raise ApiProblem(400, "X-GitHub-Delivery or X-GitHub-Event is too long.")
    payload = json_object(body)
    # The answers are the documented schemas (Pong, DeliveryAccepted), written
    # straight: ninja would validate and render them again on every delivery.
    if event == "ping":
        return _json_answer(200, {"ok": True, "zen": str(payload.get("zen", ""))})
    created, state = webhooks.delivery_accept(
        delivery_id=delivery_id,
        event=event,
        body=body,
        payload=payload,
        hook_id=request.headers.get("X-GitHub-Hook-ID", ""),
        request_id=request_context.current_request_id(),
    )
    return _json_answer(
        202 if created else 200,
        {
            "delivery_id": delivery_id,
            "event": event,
            "duplicate": not created,
            "state": state,
        },
    )


def _json_answer(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body).encode(), status=status)
    # The header set as it is: a content_type argument would be parsed again
    # for its charset on every answer.
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


# --- CI runs ------------------------------------------------------------------------
@router.get(
    "/ci/runs",
    auth=CI,
    response={200: RunPage, **problems(400, 401, 403, 422)},
    url_name="ci-runs",
    summary="List the domain's CI runs, newest first",
)
def ci_runs_list(request: HttpRequest, filters: Query[RunFilters]):
    """Keyset pagination: follow `next` (or pass `cursor`) until it is null;
    `page_size` is at most 200."""
    page = keyset_page(
        selectors.api_runs(
            request.domain, repository=filters.repository, branch=filters.branch
        ),
        ordering=("-started_at", "-id"),
        cursor=filters.cursor,
        page_size=clamp_page_size(filters.page_size),
    )
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{request.path}?{query.urlencode()}"
    return RunPage(
        items=[RunOut.of(run) for run in page.items],
        next_cursor=page.next_cursor,
        next=next_url,
        page_size=page.page_size,
    )


@router.post(
    "/ci/runs",
    auth=CI,
    response={
        201: RunUpserted,
        200: RunUpserted,
        **problems(400, 401, 403, 409, 413, 422),
    },
    url_name="ci-runs",
    summary="Create or advance a CI run",
    openapi_extra={"responses": {"201": RUN_LINKS, "200": RUN_LINKS}},
)
@idempotent(auth=CI, max_bytes=JSON_BODY_LIMIT)
def ci_run_upsert(request: HttpRequest, payload: RunIn, response: HttpResponse):
    """Upsert by (provider, external_id, attempt, repository): 201 created, 200
    updated or unchanged (`result`). A late or older report never moves a run
    backwards; `updated_at` (default: `completed_at`, or now) orders reports."""
    repository = repository_of(request.domain, payload.repository)
    result = runs.run_upsert(
        provider=payload.provider,
        repository=repository,
        external_id=payload.external_id,
        attempt=payload.attempt,
        started_at=payload.started_at,
        head_sha=payload.commit_sha,
        branch=payload.branch,
        pull_request_number=payload.pull_request_number,
        workflow=payload.workflow,
        url=payload.url,
        status=payload.status,
        conclusion=payload.conclusion or "",
        completed_at=payload.completed_at,
        source_updated_at=payload.updated_at or payload.completed_at or timezone.now(),
    )
    body = RunUpserted.of(result.obj, result=result.status)
    response["Location"] = body.api_url
    return Status(201 if result.status == "created" else 200, body)


@router.get(
    "/ci/runs/{int:id}",
    auth=CI,
    response={200: RunDetail, **problems(401, 403, 404)},
    url_name="ci-run",
    summary="A CI run with its test summary and reports",
)
def ci_run(request: HttpRequest, id: int):
    run = get_object_or_404(selectors.api_runs(request.domain), pk=id)
    return RunDetail.of(
        run,
        test_summary=selectors.run_test_summary(run),
        reports=[ReportOut.of(r) for r in selectors.reports_of(run)[:100]],
    )


# --- JUnit reports ------------------------------------------------------------------
JUNIT_OPENAPI = {
    "requestBody": {
        "required": True,
        "description": "One JUnit XML report (Surefire, pytest, Jest, Gradle…), at "
        "most 200 MB: raw, or as the multipart field `file`. It is streamed to "
        "disk, checked to be well-formed, and parsed by a worker.",
        "content": {
            **{
                content_type: {
                    "schema": {"type": "string", "contentMediaType": "application/xml"}
                }
                for content_type in JUNIT_CONTENT_TYPES
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "contentMediaType": "application/xml",
                        }
                    },
                }
            },
        },
    },
    "responses": {"202": REPORT_LINKS},
}


@router.post(
    "/ci/runs/{int:id}/junit",
    auth=CI,
    response={202: ReportAccepted, **problems(400, 401, 403, 404, 409, 413, 415, 422)},
    url_name="ci-run-junit",
    summary="Upload a JUnit XML report for a run",
    openapi_extra=JUNIT_OPENAPI,
)
def ci_run_junit(request: HttpRequest, id: int):
    """Stored, checked to be well-formed, then answered 202 with the `Location`
    of its status; the counts appear there once a worker has parsed it. Honours
    Idempotency-Key (the digest is the report's)."""
    run = selectors.api_runs(request.domain).filter(pk=id).first()
    if run is None:
        raise ApiProblem(404, f"No run {id} in domain {request.domain.slug}.")
    return _junit_accept(request, lambda: run)


JUNIT_TARGET_FIELDS = {
    "provider": "The CI system (default github_actions).",
    "external_id": "The CI's own run id (GitHub Actions: ${{ github.run_id }}).",
    "attempt": "The attempt (GitHub Actions: ${{ github.run_attempt }}); default 1.",
    "repository": "owner/name, mapped to the token's domain.",
    "commit_sha": "The commit, for a run not seen yet (optional).",
}
JUNIT_BY_IDS_OPENAPI = {
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": {"type": "integer", "minimum": 1}
            if name == "attempt"
            else {"type": "string"},
        }
        for name, description in JUNIT_TARGET_FIELDS.items()
    ],
    "requestBody": {
        **JUNIT_OPENAPI["requestBody"],
        "description": "As for /ci/runs/{id}/junit; the run's ids go in the query "
        "string, or as multipart fields beside `file`.",
        "content": {
            **JUNIT_OPENAPI["requestBody"]["content"],
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "contentMediaType": "application/xml",
                        },
                        **{
                            name: {"type": "string", "description": description}
                            for name, description in JUNIT_TARGET_FIELDS.items()
                        },
                    },
                }
            },
        },
    },
    "responses": {"202": REPORT_LINKS},
}


@router.post(
    "/ci/junit",
    auth=CI,
    response={202: ReportAccepted, **problems(400, 401, 403, 409, 413, 415, 422)},
    url_name="ci-junit",
    summary="Upload a JUnit XML report for a run named by the CI's own ids",
    openapi_extra=JUNIT_BY_IDS_OPENAPI,
)
def ci_junit(request: HttpRequest):
    """`?provider=&external_id=&attempt=&repository=` (or the same multipart
    fields): the run is found by the CI's ids, or created (in progress) if its
    webhook has not arrived yet; the report is then handled exactly as by
    /ci/runs/{id}/junit."""
    fields = request.GET.dict()
    if request.content_type == "multipart/form-data":
        try:
            fields.update(request.POST.dict())
        except (MultiPartParserError, RequestDataTooBig) as exc:
            raise ApiProblem(400, f"The multipart body could not be read: {exc}.")
    try:
        target = JUnitTarget.model_validate(
            {k: v for k, v in fields.items() if k in JUNIT_TARGET_FIELDS}
        )
    except ValidationError as exc:
        raise ApiProblem(
            422,
            "Name the run: external_id and repository (and attempt, provider) in "
            "the query string or as multipart fields.",
            errors=[
                {"field": ".".join(str(p) for p in e["loc"]), "detail": e["msg"]}
                for e in exc.errors()
            ],
        )
    repository = repository_of(request.domain, target.repository)

    def run_for_report() -> Run:
        return runs.run_upsert(
            provider=target.provider,
            repository=repository,
            external_id=target.external_id,
            attempt=target.attempt,
            head_sha=target.commit_sha or None,
            status="in_progress",
        ).obj

    return _junit_accept(request, run_for_report)


def _junit_accept(request: HttpRequest, run_for_report) -> HttpResponse:
    """Spool, check and store one JUnit report for the run `run_for_report()`
    gives (called only once the report is known to be readable)."""
    declared = declared_length(request)
    if declared is not None and declared > JUNIT_MAX_BYTES:
        raise ApiProblem(
            413, f"The report is {declared} bytes; the limit is {JUNIT_MAX_BYTES}."
        )
    spooled, filename = _spool_report(request)
    try:
        if spooled.size == 0:
            raise ApiProblem(422, "The report is empty.")
        try:
            totals = junit.check(spooled.path, outcomes=False)
        except junit.JUnitError as exc:
            extra = {}
            if exc.line is not None:
                extra = {"line": exc.line, "column": exc.column}
            raise ApiProblem(422, exc.detail, title="Unreadable JUnit XML", **extra)
        return idempotent_call(
            request,
            domain=request.domain,
            digest=spooled.sha256,
            call=lambda: _report_accept(
                run_for_report(), spooled, filename, totals.tests
            ),
        )
    finally:
        spooled.discard()


def _spool_report(request: HttpRequest) -> tuple[junit.Spooled, str]:
    """The report copied to a temporary file in chunks, never held in memory."""
    content_type = request.content_type or ""
    try:
        if content_type == "multipart/form-data":
            upload = request.FILES.get("file") or next(
                iter(request.FILES.values()), None
            )
            if upload is None:
                raise ApiProblem(400, "Send the report as the multipart field 'file'.")
            filename = (upload.name or "").replace("\x00", "")[:255]
            return junit.spool(upload.chunks(), limit=JUNIT_MAX_BYTES), filename
        if content_type in JUNIT_CONTENT_TYPES:
            return junit.spool(body_chunks(request), limit=JUNIT_MAX_BYTES), ""
    except junit.TooLarge as exc:
        raise ApiProblem(413, str(exc))
    except (MultiPartParserError, RequestDataTooBig) as exc:
        raise ApiProblem(400, f"The multipart body could not be read: {exc}.")
    raise ApiProblem(
        415,
        "Send JUnit XML as Content-Type application/xml, or multipart/form-data "
        "with the file in the field 'file'.",
    )


def _report_accept(
    run: Run, spooled: junit.Spooled, filename: str, testcases_seen: int
) -> HttpResponse:
    report = junit.report_create(run=run, spooled=spooled, filename=filename)
    body = ReportAccepted.of(report, testcases_seen=testcases_seen)
    # A response object, not a schema: idempotent_call stores it for replays.
    response = JsonResponse(body.model_dump(mode="json"), status=202)
    response["Location"] = body.status_url
    return response


@router.get(
    "/ci/reports/{int:id}",
    auth=CI,
    response={200: ReportOut, **problems(401, 403, 404)},
    url_name="ci-report",
    summary="A JUnit report's state, and its counts once parsed",
)
def ci_report(request: HttpRequest, id: int):
    report = get_object_or_404(TestReport.objects.filter(domain=request.domain), pk=id)
    return ReportOut.of(report)


# --- Performance samples and query plans ----------------------------------------
@router.post(
    "/perf",
    auth=CI,
    response={
        201: PerfSampleOut,
        200: PerfSampleOut,
        **problems(400, 401, 403, 409, 413, 422),
    },
    url_name="perf",
    summary="Record a performance sample",
)
@idempotent(auth=CI, max_bytes=JSON_BODY_LIMIT)
def perf_sample_record(request: HttpRequest, payload: PerfSampleIn):
    """p50/p95/p99 in ms, peak memory in MB and the sample count of a scenario at
    a commit: 201 new, 200 when a repeat replaced the earlier figures. With
    `pin_id` (and `pin_version`) the sample counts for that pin version in the
    pin's rollout split."""
    repository = repository_of(request.domain, payload.repository)
    recorded = perf.perf_sample_record(
        domain=request.domain,
        repository=repository,
        scenario=payload.scenario,
        commit_sha=payload.commit_sha,
        branch=payload.branch,
        base_branch=payload.base_branch,
        service=payload.service,
        p50_ms=payload.p50_ms,
        p95_ms=payload.p95_ms,
        p99_ms=payload.p99_ms,
        peak_memory_mb=payload.peak_memory_mb,
        sample_count=payload.sample_count,
        pin_id=payload.pin_id or "",
        pin_version=payload.pin_version or "",
    )
    return Status(201 if recorded.created else 200, PerfSampleOut.of(recorded.obj))


@router.post(
    "/query-plans",
    auth=CI,
    response={
        201: QueryPlanOut,
        200: QueryPlanOut,
        **problems(400, 401, 403, 409, 413, 422),
    },
    url_name="query-plans",
    summary="Record a query plan (EXPLAIN (FORMAT JSON))",
)
@idempotent(auth=CI, max_bytes=JSON_BODY_LIMIT)
def query_plan_record(request: HttpRequest, payload: QueryPlanIn):
    """`plan` is what EXPLAIN (FORMAT JSON) prints, as JSON or as the string
    psql shows; its cost and node set are kept for the gates. 201 new, 200 when
    a repeat replaced it."""
    repository = repository_of(request.domain, payload.repository)
    recorded = plans.query_plan_record(
        domain=request.domain,
        repository=repository,
        query_name=payload.query_name,
        commit_sha=payload.commit_sha,
        plan=payload.plan,
        branch=payload.branch,
        service=payload.service,
    )
    return Status(201 if recorded.created else 200, QueryPlanOut.of(recorded.obj))
