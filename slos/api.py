"""The SLOs' /api/v1 router (token scope `slo`): import definitions, feed SLI
points, list SLOs and read one's status at an instant."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router

from dashboard.domains.auth import TokenAuth
from dashboard.platform.api import ApiProblem, problems
from dashboard.platform.bodies import read_body
from slos import selectors, services
from slos.schemas import (
    SliIn,
    SliWritten,
    SloAlertList,
    SloAlertOut,
    SloImportOut,
    SloList,
    SloOut,
    SloStatusOut,
    StatusQuery,
)
from slos.specs import SpecsRefused

SLO = TokenAuth(scope="slo")
# Changing definitions is a domain admin's right (manage_slos): its own scope.
SLO_DEFINITIONS = TokenAuth(scope="slo_definitions")
IMPORT_MAX_BYTES = 1_000_000
router = Router(tags=["slos"])


@router.post(
    "/slos/import",
    auth=SLO_DEFINITIONS,
    response={200: SloImportOut, **problems(400, 401, 403, 413, 422)},
    url_name="slos-import",
    summary="Import SLO definitions (OpenSLO, Sloth or Pyrra YAML)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        },
        "parameters": [
            {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}
        ],
    },
)
def slos_import(request: HttpRequest):
    """The body is the file. Nothing of a refused file is stored: the answer
    lists every error with its document index and path. `?dry_run=true` says
    what would change without changing it."""
    body = read_body(request, limit=IMPORT_MAX_BYTES)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiProblem(400, f"The file is not UTF-8: {exc}.") from exc
    dry_run = request.GET.get("dry_run", "").lower() in ("1", "true", "yes")
    try:
        outcome = services.slos_import(
            domain=request.domain,
            text=text,
            actor_label=f"token {request.ingest_token.prefix}",
            dry_run=dry_run,
        )
    except SpecsRefused as refused:
        raise ApiProblem(
            422,
            str(refused),
            title="Invalid SLO definitions",
            errors=[
                {"document": e.document, "path": e.path, "detail": e.message}
                for e in refused.errors
            ],
        ) from refused
    return SloImportOut(
        dry_run=dry_run,
        created=outcome.count("created"),
        updated=outcome.count("updated"),
        unchanged=outcome.count("unchanged"),
        slos=[r.obj.name for r in outcome.results],
        diffs=outcome.diffs,
    )


@router.get(
    "/slos",
    auth=SLO,
    response={200: SloList, **problems(401, 403)},
    url_name="slos",
    summary="The domain's SLOs",
)
def slos_list(request: HttpRequest):
    return SloList(items=[SloOut.of(s) for s in selectors.slos_of(request.domain)])


@router.get(
    "/slos/{slo_id}/status",
    auth=SLO,
    response={200: SloStatusOut, **problems(401, 403, 404, 422)},
    url_name="slo-status",
    summary="An SLO's SLI, error budget, burn rates and alert conditions at `at`",
)
def slo_status(request: HttpRequest, slo_id: int, query: Query[StatusQuery]):
    """`at` defaults to now; the same `at` always gives the same answer."""
    slo = get_object_or_404(selectors.slos_of(request.domain), pk=slo_id)
    status = selectors.slo_status(slo, at=query.at or timezone.now())
    return SloStatusOut.of(status)


@router.get(
    "/slos/{slo_id}/alerts",
    auth=SLO,
    response={200: SloAlertList, **problems(401, 403, 404)},
    url_name="slo-alerts",
    summary="An SLO's alert history, newest first (the last 200)",
)
def slo_alerts(request: HttpRequest, slo_id: int):
    slo = get_object_or_404(selectors.slos_of(request.domain), pk=slo_id)
    return SloAlertList(
        items=[SloAlertOut.of(a) for a in selectors.alerts_of(slo)[:200]]
    )


@router.post(
    "/sli",
    auth=SLO,
    response={200: SliWritten, **problems(400, 401, 403, 404, 413, 422)},
    url_name="sli",
    summary="Record SLI points (good/total or bad/total per interval)",
)
def sli_record(request: HttpRequest, payload: SliIn):
    """Up to 10,000 points a call; a point for a `ts` already stored (with the
    same `pin_id` and `pin_version`) replaces it. Points tagged with a pin
    version let the pin's page split errors by version during a rollout."""
    slo = selectors.slos_of(request.domain).filter(name=payload.slo).first()
    if slo is None:
        raise ApiProblem(
            404,
            f"No SLO named {payload.slo!r} in domain {request.domain.slug}; import "
            "its definition first (POST /api/v1/slos/import).",
        )
    written = services.sli_points_record(
        slo=slo,
        points=[
            services.SliCounts(
                ts=p.ts,
                good=p.good_events,
                total=p.total,
                pin_id=p.pin_id or "",
                pin_version=p.pin_version or "",
            )
            for p in payload.points
        ],
    )
    return SliWritten(slo=slo.name, written=written)
