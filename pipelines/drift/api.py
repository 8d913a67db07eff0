"""The schema-drift /api/v1 router: entity graphs and snapshots in (token scope
`schema`), a target's current drift out. Restricted to the token's domain."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Status

from dashboard.domains.auth import TokenAuth
from dashboard.platform.api import ApiProblem, problems
from pipelines.drift import selectors
from pipelines.drift.models import SchemaSource
from pipelines.drift.schema import SchemaInvalid
from pipelines.drift.schemas import DriftOut, SchemaAccepted, SchemaIn
from pipelines.drift.services import documents
from pipelines.ingest.api_support import idempotent, repository_of

SCHEMA = TokenAuth(scope="schema")
BODY_LIMIT = 5 * 1024 * 1024
router = Router(tags=["schema drift"])


def _record(request: HttpRequest, payload: SchemaIn, source: str):
    target = documents.target_of(request.domain, payload.target)
    if target is None:
        raise ApiProblem(
            422,
            f"No schema target {payload.target!r} in domain {request.domain.slug!r}; "
            "an operator adds it with `python manage.py add_schema_target`.",
            errors=[{"field": "target", "detail": "Unknown schema target."}],
        )
    repository = repository_of(request.domain, payload.repository)
    try:
        doc, created = documents.schema_document_record(
            target=target,
            source=source,
            document=payload.document(),
            repository=repository,
            commit_sha=payload.commit_sha,
        )
    except SchemaInvalid as exc:
        raise ApiProblem(
            422,
            f"The schema has {len(exc.errors)} problem(s): "
            + "; ".join(exc.errors[:20]),
            title="Invalid schema",
            errors=[{"field": "entities", "detail": e} for e in exc.errors],
        )
    path = reverse(
        "drift:target", kwargs={"slug": request.domain.slug, "name": target.name}
    )
    url = f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"
    return Status(
        201 if created else 200, SchemaAccepted.of(doc, created=created, drift_url=url)
    )


@router.post(
    "/schema/entity-graphs",
    auth=SCHEMA,
    response={
        201: SchemaAccepted,
        200: SchemaAccepted,
        **problems(400, 401, 403, 409, 413, 422),
    },
    url_name="schema-entity-graphs",
    summary="Record the entity graph a code generator emitted at a commit",
)
@idempotent(auth=SCHEMA, max_bytes=BODY_LIMIT)
def entity_graph_record(request: HttpRequest, payload: SchemaIn):
    """Idempotent per (target, commit): the same graph again is a 200 and changes
    nothing. A 422 lists every problem (unknown type, duplicate names, dangling
    foreign keys). The target's drift is checked in the background."""
    return _record(request, payload, SchemaSource.GRAPH)


@router.post(
    "/schema/snapshots",
    auth=SCHEMA,
    response={
        201: SchemaAccepted,
        200: SchemaAccepted,
        **problems(400, 401, 403, 409, 413, 422),
    },
    url_name="schema-snapshots",
    summary="Record a snapshot of the live schema (same shape as an entity graph)",
)
@idempotent(auth=SCHEMA, max_bytes=BODY_LIMIT)
def snapshot_record(request: HttpRequest, payload: SchemaIn):
    """What `python manage.py drift_snapshot` (or pipelines/drift/snapshot.sql
    in psql) prints for a database. Idempotent per (target, commit)."""
    return _record(request, payload, SchemaSource.SNAPSHOT)


@router.get(
    "/schema/targets/{name}/drift",
    auth=SCHEMA,
    response={200: DriftOut, **problems(401, 403, 404)},
    url_name="schema-drift",
    summary="A schema target's current drift",
)
def drift_get(request: HttpRequest, name: str):
    drift = selectors.drift_of(request.domain, name)
    if drift is None:
        raise ApiProblem(
            404, f"No drift checked yet for target {name!r} in {request.domain.slug!r}."
        )
    return DriftOut.of(drift)
