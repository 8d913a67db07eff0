"""Plumbing for the pipelines' /api/v1 routers: the Idempotency-Key decorator
for JSON POSTs, JSON objects, the repository of a token's domain. (Raw bodies
read within a limit: dashboard.platform.bodies.)"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.decorators import decorate_view
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from dashboard.domains.auth import TokenAuth
from dashboard.domains.models import Domain, Repository
from dashboard.platform.api import ApiProblem
from dashboard.platform.bodies import declared_length
from dashboard.platform.json_input import json_loads
from pipelines.ingest.services.idempotency import (
    HEADER,
    MAX_KEY_LENGTH,
    body_digest,
    idempotent_call,
)

IDEMPOTENCY_KEY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Retry safely: the same key and body replay the first answer "
    "(header Idempotent-Replayed: true); the same key with another body is a 409.",
}


def json_object(body: bytes) -> dict:
    """A raw body (read by the view itself) as a JSON object, else 400."""
    try:
        data = json_loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiProblem(400, f"The body is not valid JSON: {exc}.")
    if not isinstance(data, dict):
        raise ApiProblem(400, "The body must be a JSON object.")
    return data


def repository_of(domain: Domain, full_name: str) -> Repository:
    """The repository, if mapped to the token's domain; else 422 saying so."""
    repository = domain.repositories.filter(full_name__iexact=full_name).first()
    if repository is None:
        raise ApiProblem(
            422,
            f"Repository {full_name} is not mapped to domain {domain.slug}; map it "
            "first (python manage.py map_repository).",
            errors=[{"field": "repository", "detail": "Not mapped to this domain."}],
        )
    return repository


def idempotent(*, auth: TokenAuth, max_bytes: int) -> Callable:
    """Route decorator for a JSON POST: a body over `max_bytes` is a 413, and the
    whole answer (a 422 for a bad body included) is given once per
    Idempotency-Key (services.idempotency). It wraps ninja's authentication and
    validation, so it authenticates first: a key belongs to the token's domain
    (`auth` remembers the token on the request, so it is looked up once)."""

    def wrap_run(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(run)
        def guarded(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                auth(request)
                declared = declared_length(request)
                if declared is not None and declared > max_bytes:
                    raise ApiProblem(
                        413, f"The body is {declared} bytes; the limit is {max_bytes}."
                    )
            except ApiProblem as exc:
                return exc.response()
            if not request.headers.get(HEADER, "").strip():
                return run(request, **kwargs)
            return idempotent_call(
                request,
                domain=request.domain,
                digest=body_digest(request.body),
                call=lambda: run(request, **kwargs),
            )

        return guarded

    def document(operation: Operation) -> None:
        extra = dict(operation.openapi_extra or {})
        extra["parameters"] = [*extra.get("parameters", []), IDEMPOTENCY_KEY_PARAMETER]
        operation.openapi_extra = extra

    def decorator(view: Callable) -> Callable:
        view = decorate_view(wrap_run)(view)
        if hasattr(view, "_ninja_operation"):
            document(view._ninja_operation)
        else:
            contribute_operation_callback(view, document)
        return view

    return decorator
