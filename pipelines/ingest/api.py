"""The ingestion /api/v1 endpoints: GitHub webhooks, CI runs, JUnit reports,
performance samples and query plans. Thin: authenticate, validate, one service
call, answer JSON (errors are problem+json)."""

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from config import request_context
from dashboard.domains.auth import token_required
from dashboard.domains.services import permission_denial_record
from dashboard.platform.pagination import BadCursor, clamp_page_size, keyset_page
from dashboard.platform.problems import problem
from pipelines.ingest import selectors
from pipelines.ingest.api_support import (
    ApiError,
    Fields,
    body_chunks,
    declared_length,
    isoformat,
    json_object,
    method_not_allowed,
    read_body,
    repository_of,
)
from pipelines.ingest.models import (
    Conclusion,
    PerfSample,
    QueryPlan,
    Run,
    RunStatus,
    TestReport,
)
from pipelines.ingest.services import junit, perf, plans, runs, webhooks
from pipelines.ingest.services.idempotency import body_digest, idempotent_call

logger = logging.getLogger(__name__)

JSON_BODY_LIMIT = 10 * 1024 * 1024  # query plans of big queries run to megabytes
JUNIT_MAX_BYTES = getattr(settings, "JUNIT_MAX_BYTES", 200 * 1024 * 1024)


# --- GitHub webhooks ----------------------------------------------------------------
@csrf_exempt
def github_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, store (the outbox) and answer; a worker processes it."""
    if request.method != "POST":
        return method_not_allowed("POST")
    try:
        body = read_body(request, limit=webhooks.MAX_BODY_BYTES)
    except ApiError as exc:
        return exc.response()
    if not webhooks.signature_valid(
        body=body,
        header=request.headers.get("X-Hub-Signature-256"),
        secret=settings.GITHUB_WEBHOOK_SECRET,
    ):
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
        return problem(
            401,
            "X-Hub-Signature-256 is missing or does not match the body: sign the "
            "raw body with HMAC-SHA256 and the webhook's secret.",
        )
    event = request.headers.get("X-GitHub-Event", "").strip()
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    if not event or not delivery_id:
        missing = [
            name
            for name, value in (
                ("X-GitHub-Event", event),
                ("X-GitHub-Delivery", delivery_id),
            )
            if not value
        ]
        return problem(400, f"Missing header: {', '.join(missing)}.")
    if len(delivery_id) > 100 or len(event) > 64:
        return problem(400, "X-GitHub-Delivery or X-GitHub-Event is too long.")
    try:
        payload = json_object(body)
    except ApiError as exc:
        return exc.response()
    if event == "ping":
        return JsonResponse({"ok": True, "zen": payload.get("zen", "")})
    received = webhooks.delivery_receive(
        delivery_id=delivery_id,
        event=event,
        body=body,
        payload=payload,
        hook_id=request.headers.get("X-GitHub-Hook-ID", ""),
        request_id=request_context.current_request_id(),
    )
    return JsonResponse(
        {
            "delivery_id": delivery_id,
            "event": event,
            "duplicate": not received.created,
            "state": received.delivery.state,
        },
        status=202 if received.created else 200,
    )


# --- CI runs ------------------------------------------------------------------------
def run_json(run: Run) -> dict:
    return {
        "id": run.pk,
        "provider": run.provider,
        "external_id": run.external_id,
        "attempt": run.attempt,
        "repository": run.repository.full_name,
        "commit_sha": run.head_sha,
        "branch": run.branch,
        "pull_request_number": run.pull_request_number,
        "workflow": run.workflow,
        "status": run.status,
        "conclusion": run.conclusion or None,
        "started_at": isoformat(run.started_at),
        "completed_at": isoformat(run.completed_at),
        "url": run.url or None,
        "api_url": reverse("pipelines:api-run", kwargs={"pk": run.pk}),
    }


def report_json(report: TestReport) -> dict:
    return {
        "id": report.pk,
        "run_id": report.run_id,
        "state": report.state,
        "filename": report.filename,
        "size_bytes": report.size_bytes,
        "sha256": report.sha256,
        "received_at": isoformat(report.received_at),
        "processed_at": isoformat(report.processed_at),
        "error": report.error or None,
        "counts": None
        if report.tests is None
        else {
            "suites": report.suites,
            "tests": report.tests,
            "passed": report.passed,
            "failures": report.failures,
            "errors": report.errors,
            "skipped": report.skipped,
            "duration_seconds": report.duration_seconds,
        },
        "status_url": reverse("pipelines:api-report", kwargs={"pk": report.pk}),
    }


def _idempotent_json_post(
    request: HttpRequest, handle: Callable[[HttpRequest, bytes], HttpResponse]
) -> HttpResponse:
    """Read a bounded JSON body, then answer once per Idempotency-Key."""
    try:
        body = read_body(request, limit=JSON_BODY_LIMIT)
    except ApiError as exc:
        return exc.response()
    return idempotent_call(
        request,
        domain=request.domain,
        digest=body_digest(body),
        call=lambda: handle(request, body),
    )


@token_required(scope="ci")
def ci_runs(request: HttpRequest) -> HttpResponse:
    """GET: list the domain's runs. POST: upsert one."""
    if request.method == "GET":
        return _ci_runs_list(request)
    if request.method != "POST":
        return method_not_allowed("GET, POST")
    return _idempotent_json_post(request, _ci_run_upsert)


def _ci_run_upsert(request: HttpRequest, body: bytes) -> HttpResponse:
    try:
        data = json_object(body)
        f = Fields(data)
        provider = f.text("provider", required=True, max_length=40)
        external_id = f.text("external_id", required=True, max_length=64)
        attempt = f.integer("attempt", minimum=1, default=1)
        full_name = f.text("repository", required=True, max_length=140)
        sha = f.sha("commit_sha", required=True)
        branch = f.text("branch")
        pr_number = f.integer("pull_request_number", minimum=1)
        workflow = f.text("workflow")
        status = f.choice("status", list(RunStatus.values), default=RunStatus.QUEUED)
        conclusion = f.choice("conclusion", list(Conclusion.values))
        started_at = f.timestamp("started_at")
        completed_at = f.timestamp("completed_at")
        updated_at = f.timestamp("updated_at")
        url = f.text("url", max_length=500)
        if url and not url.startswith(("https://", "http://")):
            f.errors.append({"field": "url", "detail": "An http(s) URL."})
        if conclusion and status != RunStatus.COMPLETED:
            f.errors.append(
                {"field": "conclusion", "detail": "Only a completed run has one."}
            )
        f.check()
        repository = repository_of(request.domain, full_name)
    except ApiError as exc:
        return exc.response()
    result = runs.run_upsert(
        provider=provider,
        repository=repository,
        external_id=external_id,
        attempt=attempt,
        started_at=started_at,
        head_sha=sha,
        branch=branch,
        pull_request_number=pr_number,
        workflow=workflow,
        url=url,
        status=status,
        conclusion=conclusion,
        completed_at=completed_at,
        source_updated_at=updated_at or completed_at or timezone.now(),
    )
    run = result.obj
    body = run_json(run)
    body["result"] = result.status
    response = JsonResponse(body, status=201 if result.status == "created" else 200)
    response["Location"] = body["api_url"]
    return response


def _ci_runs_list(request: HttpRequest) -> HttpResponse:
    try:
        page = keyset_page(
            selectors.api_runs(
                request.domain,
                repository=request.GET.get("repository", ""),
                branch=request.GET.get("branch", ""),
            ),
            ordering=("-started_at", "-id"),
            cursor=request.GET.get("cursor"),
            page_size=clamp_page_size(request.GET.get("page_size")),
        )
    except BadCursor as exc:
        return problem(400, str(exc))
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = f"{request.path}?{query.urlencode()}"
    return JsonResponse(
        {
            "items": [run_json(run) for run in page.items],
            "next_cursor": page.next_cursor,
            "next": next_url,
            "page_size": page.page_size,
        }
    )


@token_required(scope="ci")
def ci_run(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "GET":
        return method_not_allowed("GET")
    run = get_object_or_404(selectors.api_runs(request.domain), pk=pk)
    body = run_json(run)
    body["test_summary"] = selectors.test_summary(run)
    body["reports"] = [report_json(r) for r in selectors.reports_of(run)[:100]]
    return JsonResponse(body)


@token_required(scope="ci")
def ci_run_junit(request: HttpRequest, pk: int) -> HttpResponse:
    """Store a JUnit report (raw XML or multipart), check it is well-formed, 202."""
    if request.method != "POST":
        return method_not_allowed("POST")
    run = selectors.api_runs(request.domain).filter(pk=pk).first()
    if run is None:
        return problem(404, f"No run {pk} in domain {request.domain.slug}.")
    declared = declared_length(request)
    if declared is not None and declared > JUNIT_MAX_BYTES:
        return problem(
            413, f"The report is {declared} bytes; the limit is {JUNIT_MAX_BYTES}."
        )
    content_type = request.content_type or ""
    filename = ""
    try:
        if content_type == "multipart/form-data":
            upload = request.FILES.get("file") or next(
                iter(request.FILES.values()), None
            )
            if upload is None:
                return problem(400, "Send the report as the multipart field 'file'.")
            filename = upload.name or ""
            spooled = junit.spool(upload.chunks(), limit=JUNIT_MAX_BYTES)
        elif content_type in ("application/xml", "text/xml", "application/junit+xml"):
            spooled = junit.spool(body_chunks(request), limit=JUNIT_MAX_BYTES)
        else:
            return problem(
                415,
                "Send JUnit XML as Content-Type application/xml, or multipart/form-"
                "data with the file in the field 'file'.",
            )
    except junit.TooLarge as exc:
        return problem(413, str(exc))
    except (MultiPartParserError, RequestDataTooBig) as exc:
        return problem(400, f"The multipart body could not be read: {exc}.")
    try:
        if spooled.size == 0:
            return problem(422, "The report is empty.")
        try:
            totals = junit.check(spooled.path)
        except junit.JUnitError as exc:
            extra = {}
            if exc.line is not None:
                extra = {"line": exc.line, "column": exc.column}
            return problem(422, exc.detail, title="Unreadable JUnit XML", **extra)
        return idempotent_call(
            request,
            domain=request.domain,
            digest=spooled.sha256,
            call=lambda: _report_accept(run, spooled, filename, totals),
        )
    finally:
        spooled.discard()


def _report_accept(run: Run, spooled, filename: str, totals) -> HttpResponse:
    report = junit.report_create(run=run, spooled=spooled, filename=filename)
    body = report_json(report)
    # What the edge check saw; the worker's parse fills `counts`.
    body["testcases_seen"] = totals.tests
    response = JsonResponse(body, status=202)
    response["Location"] = body["status_url"]
    return response


@token_required(scope="ci")
def ci_report(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "GET":
        return method_not_allowed("GET")
    report = get_object_or_404(TestReport.objects.filter(domain=request.domain), pk=pk)
    return JsonResponse(report_json(report))


# --- Performance samples and query plans ----------------------------------------
def perf_json(sample: PerfSample) -> dict:
    return {
        "id": sample.pk,
        "repository": sample.repository.full_name,
        "service": sample.service or None,
        "scenario": sample.scenario,
        "commit_sha": sample.commit_sha,
        "branch": sample.branch,
        "base_branch": sample.base_branch or None,
        "p50_ms": sample.p50_ms,
        "p95_ms": sample.p95_ms,
        "p99_ms": sample.p99_ms,
        "peak_memory_mb": sample.peak_memory_mb,
        "sample_count": sample.sample_count,
        "created_at": isoformat(sample.created_at),
    }


@token_required(scope="ci")
def perf_samples(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed("POST")
    return _idempotent_json_post(request, _perf_record)


def _perf_record(request: HttpRequest, body: bytes) -> HttpResponse:
    try:
        f = Fields(json_object(body))
        values = {
            "scenario": f.text("scenario", required=True, max_length=200),
            "commit_sha": f.sha("commit_sha", required=True),
            "branch": f.text("branch"),
            "base_branch": f.text("base_branch"),
            "service": f.text("service", max_length=50),
            "p50_ms": f.number("p50_ms", required=True),
            "p95_ms": f.number("p95_ms", required=True),
            "p99_ms": f.number("p99_ms", required=True),
            "peak_memory_mb": f.number("peak_memory_mb"),
            "sample_count": f.integer("sample_count", required=True, minimum=1),
        }
        full_name = f.text("repository", required=True, max_length=140)
        if not f.errors and not (
            values["p50_ms"] <= values["p95_ms"] <= values["p99_ms"]
        ):
            f.errors.append(
                {
                    "field": "p95_ms",
                    "detail": "Percentiles must satisfy p50 ≤ p95 ≤ p99.",
                }
            )
        f.check()
        repository = repository_of(request.domain, full_name)
    except ApiError as exc:
        return exc.response()
    sample, created = perf.perf_sample_record(
        domain=request.domain, repository=repository, **values
    )
    return JsonResponse(perf_json(sample), status=201 if created else 200)


def plan_json(plan: QueryPlan) -> dict:
    return {
        "id": plan.pk,
        "repository": plan.repository.full_name,
        "service": plan.service or None,
        "query_name": plan.query_name,
        "commit_sha": plan.commit_sha,
        "branch": plan.branch,
        "analyzed": plan.analyzed,
        "buffers": plan.buffers,
        "startup_cost": plan.startup_cost,
        "total_cost": plan.total_cost,
        "plan_rows": plan.plan_rows,
        "actual_total_time_ms": plan.actual_total_time_ms,
        "execution_time_ms": plan.execution_time_ms,
        "nodes": [{"node_type": n, "relation": r or None} for n, r in plan.nodes],
        "seq_scan_relations": plan.seq_scan_relations,
        "created_at": isoformat(plan.created_at),
    }


@token_required(scope="ci")
def query_plans(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return method_not_allowed("POST")
    return _idempotent_json_post(request, _plan_record)


def _plan_record(request: HttpRequest, body: bytes) -> HttpResponse:
    try:
        data = json_object(body)
        f = Fields(data)
        query_name = f.text("query_name", required=True, max_length=200)
        sha = f.sha("commit_sha", required=True)
        branch = f.text("branch")
        service = f.text("service", max_length=50)
        full_name = f.text("repository", required=True, max_length=140)
        plan = data.get("plan")
        if isinstance(plan, str):  # psql output pasted as a string
            try:
                plan = json.loads(plan)
            except ValueError:
                f.errors.append({"field": "plan", "detail": "Not JSON."})
        if plan is None:
            f.errors.append({"field": "plan", "detail": "This field is required."})
        f.check()
        try:
            plans.plan_summarize(plan)
        except plans.PlanError as exc:
            raise ApiError(
                422, f"plan: {exc}", errors=[{"field": "plan", "detail": str(exc)}]
            )
        repository = repository_of(request.domain, full_name)
    except ApiError as exc:
        return exc.response()
    row, created = plans.query_plan_record(
        domain=request.domain,
        repository=repository,
        query_name=query_name,
        commit_sha=sha,
        plan=plan,
        branch=branch,
        service=service,
    )
    return JsonResponse(plan_json(row), status=201 if created else 200)
