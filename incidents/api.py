"""The incidents /api/v1 router: the generic incident report (token scope
`incidents`), the monitors' webhooks (each verified as its sender signs), and
the DORA keys."""

import logging
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from config import request_context
from dashboard.domains.auth import TokenAuth
from dashboard.domains.services import permission_denial_record
from dashboard.platform.api import ApiProblem, problems, security_scheme_register
from dashboard.platform.bodies import read_body
from incidents import dora, selectors
from incidents.models import Source
from incidents.schemas import (
    DoraKeysOut,
    DoraOut,
    DoraQuery,
    IncidentIn,
    IncidentList,
    IncidentOut,
    IncidentUpserted,
    MonitorAccepted,
)
from incidents.services import monitors
from incidents.services.incidents import IncidentReport, incident_upsert
from pipelines.ingest.api_support import idempotent, json_object

logger = logging.getLogger(__name__)

INCIDENTS = TokenAuth(scope="incidents")
router = Router(tags=["incidents"])
MAX_RANGE = timedelta(days=731)
JSON_BODY_LIMIT = 1024 * 1024

security_scheme_register(
    "pagerdutySignature",
    {
        "type": "apiKey",
        "in": "header",
        "name": "X-PagerDuty-Signature",
        "description": "v1= and the hex HMAC-SHA256 of the raw body with the "
        "subscription's secret (PAGERDUTY_WEBHOOK_SECRET).",
    },
)
security_scheme_register(
    "monitorBearer",
    {
        "type": "http",
        "scheme": "bearer",
        "description": "The monitor's shared token (ALERTMANAGER_WEBHOOK_TOKEN, "
        "OPSGENIE_WEBHOOK_TOKEN).",
    },
)
security_scheme_register(
    "statuspageToken",
    {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The token in the subscriber URL (STATUSPAGE_WEBHOOK_TOKEN).",
    },
)


@router.post(
    "/incidents",
    auth=INCIDENTS,
    response={
        201: IncidentUpserted,
        200: IncidentUpserted,
        **problems(400, 401, 403, 409, 413, 422),
    },
    url_name="incidents",
    summary="Report an incident (create or advance it)",
)
@idempotent(auth=INCIDENTS, max_bytes=JSON_BODY_LIMIT)
def incident_report(request: HttpRequest, payload: IncidentIn):
    """Upsert by (`source`, `external_id`) in the token's domain: 201 created,
    200 updated or unchanged (`result`). Reports apply in the order of status
    (triggered < acknowledged < mitigated < resolved), then `updated_at`: a
    late or older report never moves an incident backwards, but fills milestone
    times still empty. `service` is a service slug of the domain or a
    repository OWNER/NAME; `deployment` is the GitHub deployment id suspected."""
    deployment = None
    if payload.deployment is not None:
        deployment = selectors.deployment_of(request.domain, payload.deployment)
        if deployment is None:
            raise ApiProblem(
                422,
                f"No deployment with id {payload.deployment} in domain "
                f"{request.domain.slug}: give the GitHub deployment id of one of "
                "its repositories.",
            )
    result = incident_upsert(
        domain=request.domain,
        report=IncidentReport(
            source=payload.source,
            external_id=payload.external_id,
            status=payload.status,
            title=payload.title,
            severity=payload.severity,
            service=payload.service or None,
            started_at=payload.started_at,
            detected_at=payload.detected_at,
            acknowledged_at=payload.acknowledged_at,
            mitigated_at=payload.mitigated_at,
            resolved_at=payload.resolved_at,
            url=payload.url or None,
            commander=payload.commander or None,
            deployment=deployment,
            source_updated_at=payload.updated_at or timezone.now(),
            actor=f"token {request.ingest_token.prefix}",
            moves_back=payload.reopen,
        ),
    )
    body = IncidentUpserted.of(result.obj, result=result.status)
    return Status(201 if result.created else 200, body)


@router.get(
    "/incidents",
    auth=INCIDENTS,
    response={200: IncidentList, **problems(401, 403)},
    url_name="incidents-list",
    summary="The domain's latest incidents (200, newest first)",
)
def incidents_list(request: HttpRequest):
    return IncidentList(
        items=[IncidentOut.of(i) for i in selectors.incidents_of(request.domain)[:200]]
    )


# --- Monitor webhooks ---------------------------------------------------------------
def _refuse(request: HttpRequest, source: str, detail: str) -> ApiProblem:
    permission_denial_record(
        user=None,
        action=monitors.SIGNATURE_DENIAL_ACTION.format(source=source),
        domain=None,
        path=request.path,
        status_code=401,
    )
    logger.warning("monitor webhook refused", extra={"source": source})
    return ApiProblem(401, detail)


def _accept(request: HttpRequest, source: str, body: bytes):
    payload = json_object(body)
    received = monitors.monitor_delivery_receive(
        source=source,
        body=body,
        payload=payload,
        request_id=request_context.current_request_id(),
    )
    return Status(
        202 if received.created else 200,
        MonitorAccepted(
            source=source,
            delivery_id=received.obj.delivery_id,
            duplicate=not received.created,
            state=received.obj.state,
        ),
    )


def _bearer(request: HttpRequest) -> str | None:
    kind, _, credential = request.headers.get("Authorization", "").partition(" ")
    return credential.strip() if kind.lower() == "bearer" else None


def _webhook_openapi(description: str, security: str, extra_params=()) -> dict:
    return {
        "security": [{security: []}],
        "parameters": list(extra_params),
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    }


ACCEPTED = {202: MonitorAccepted, 200: MonitorAccepted, **problems(400, 401, 413)}


@router.post(
    "/webhooks/pagerduty",
    auth=None,
    response=ACCEPTED,
    url_name="pagerduty-webhook",
    summary="Receive a PagerDuty v3 webhook",
    openapi_extra=_webhook_openapi(
        "A PagerDuty v3 webhook event as PagerDuty sends it; X-PagerDuty-Signature "
        "(v1= HMAC-SHA256 of the raw body) is checked.",
        "pagerdutySignature",
        [
            {
                "name": "X-PagerDuty-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
    ),
)
def pagerduty_webhook(request: HttpRequest):
    """202 stored; 200 for a repeat of an event id already stored."""
    body = read_body(request, limit=monitors.MAX_BODY_BYTES)
    if not monitors.pagerduty_signature_valid(
        body=body, header=request.headers.get("X-PagerDuty-Signature")
    ):
        raise _refuse(
            request,
            Source.PAGERDUTY,
            "X-PagerDuty-Signature is missing or matches no configured secret: "
            "PagerDuty signs the raw body with the subscription's secret "
            "(PAGERDUTY_WEBHOOK_SECRET here).",
        )
    return _accept(request, Source.PAGERDUTY, body)


def _token_webhook(request: HttpRequest, source: str, presented: str | None, how: str):
    body = read_body(request, limit=monitors.MAX_BODY_BYTES)
    if not monitors.token_valid(
        presented=presented, setting=monitors.TOKEN_SETTINGS[source]
    ):
        raise _refuse(
            request,
            source,
            f"{how} is missing or wrong: send the token configured as "
            f"{monitors.TOKEN_SETTINGS[source]}.",
        )
    return _accept(request, source, body)


@router.post(
    "/webhooks/alertmanager",
    auth=None,
    response=ACCEPTED,
    url_name="alertmanager-webhook",
    summary="Receive a Prometheus Alertmanager webhook (v4)",
    openapi_extra=_webhook_openapi(
        "Alertmanager's webhook_config payload (version 4); configure "
        "http_config.authorization.credentials with the token.",
        "monitorBearer",
    ),
)
def alertmanager_webhook(request: HttpRequest):
    """202 stored; 200 for a byte-identical repeat (a retry)."""
    return _token_webhook(
        request, Source.ALERTMANAGER, _bearer(request), "The bearer token"
    )


@router.post(
    "/webhooks/opsgenie",
    auth=None,
    response=ACCEPTED,
    url_name="opsgenie-webhook",
    summary="Receive an Opsgenie outgoing webhook",
    openapi_extra=_webhook_openapi(
        "Opsgenie's webhook integration payload; add the custom header "
        "`Authorization: Bearer <token>` to the integration.",
        "monitorBearer",
    ),
)
def opsgenie_webhook(request: HttpRequest):
    """202 stored; 200 for a byte-identical repeat (a retry)."""
    return _token_webhook(
        request, Source.OPSGENIE, _bearer(request), "The bearer token"
    )


@router.post(
    "/webhooks/statuspage",
    auth=None,
    response=ACCEPTED,
    url_name="statuspage-webhook",
    summary="Receive an Atlassian Statuspage subscriber webhook",
    openapi_extra=_webhook_openapi(
        "Statuspage's subscriber webhook payload. Statuspage sends no "
        "credentials of its own: subscribe with ?token=<token> in the URL.",
        "statuspageToken",
        [
            {
                "name": "token",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
    ),
)
def statuspage_webhook(request: HttpRequest):
    """202 stored; 200 for a byte-identical repeat (a retry)."""
    return _token_webhook(
        request, Source.STATUSPAGE, request.GET.get("token"), "?token="
    )


# --- DORA ----------------------------------------------------------------------------
@router.get(
    "/dora",
    auth=INCIDENTS,
    response={200: DoraOut, **problems(401, 403, 404, 422)},
    url_name="dora",
    summary="The four DORA keys of the domain (or a service) over a range",
)
def dora_keys(request: HttpRequest, query: Query[DoraQuery]):
    """`from`/`to` (ISO 8601 with offset; default the last 30 days, at most two
    years), `service` (a service slug or repository OWNER/NAME), `domain`
    (optional: must be the token's). Definitions: docs/dora.md."""
    if query.domain and query.domain != request.domain.slug:
        raise ApiProblem(
            404,
            f"This token is for domain {request.domain.slug!r}, not {query.domain!r}.",
        )
    end = query.end or timezone.now()
    start = query.start or end - timedelta(days=30)
    if start >= end:
        raise ApiProblem(422, "`from` must be before `to`.")
    if end - start > MAX_RANGE:
        raise ApiProblem(422, "The range may span at most two years.")
    try:
        report = dora.dora_report(
            request.domain, start=start, end=end, service=query.service or None
        )
    except dora.UnknownService as exc:
        raise ApiProblem(404, str(exc)) from exc
    return DoraOut(
        domain=request.domain.slug,
        service=query.service,
        keys=DoraKeysOut.of(report.keys),
        weekly=[DoraKeysOut.of(w) for w in report.weekly],
    )
