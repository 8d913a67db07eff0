"""The /api/v1 frame: one NinjaAPI whose every error is problem+json.

Areas add their Router in config/urls.py; endpoints authenticate with
dashboard.domains.auth.TokenAuth. Everything the API answers that is
not a 2xx is application/problem+json (RFC 9457, built by `problem()`):

- 401/403 from `TokenAuth`, every refusal counted (`ingest.<scope>`);
- 422 for a body that does not fit its schema, `errors` naming each field;
- 400 for a body that is not a JSON object, a bad cursor, an over-long key;
- 404 for an unknown route or object, 405 (with Allow) for a wrong method;
- 409 for an Idempotency-Key reused with another body, 413 for a big body;
- 500, logged and signalled as Django does, without the details.
"""

import json
import logging
import re
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.parser import Parser

from dashboard.platform.json_input import JsonTooDeep, json_loads
from dashboard.platform.pagination import BadCursor
from dashboard.platform.problems import PROBLEM_CONTENT_TYPE, problem

logger = logging.getLogger(__name__)

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def inline_schema(model: type[Schema]) -> dict[str, Any]:
    """A model's JSON schema with its definitions inlined: for a request body
    described in `openapi_extra` (a view that reads its body itself)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref", "")
        rest = {key: inline(value) for key, value in node.items() if key != "$ref"}
        if ref.startswith("#/$defs/"):
            return {**inline(definitions[ref.removeprefix("#/$defs/")]), **rest}
        return rest

    return inline(schema)


# --- Problems ---------------------------------------------------------------------
class ApiProblem(Exception):
    """Raise from a view (or a helper it calls) to answer with a problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: object,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.headers = headers or {}
        self.extra = extra

    def response(self) -> HttpResponse:
        response = problem(self.status, self.detail, title=self.title, **self.extra)
        for name, value in self.headers.items():
            response[name] = value
        return response


class FieldError(Schema):
    field: str
    detail: str


class Problem(Schema):
    """RFC 9457 problem details (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """The error answers of an operation, for its `response=` mapping."""
    return dict.fromkeys(statuses, Problem)


def _field_name(loc: tuple[Any, ...]) -> str:
    """("body", "payload", "perf", 0, "p95_ms") -> "perf[0].p95_ms"."""
    parts = list(loc[1:])  # drop the source: body, query, path, header
    if loc and loc[0] == "body" and len(parts) > 1 and parts[0] == "payload":
        parts = parts[1:]  # the body parameter's own name says nothing
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or str(loc[0] if loc else "body")


def _validation_problem(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(tuple(e.get("loc", ()))), "detail": e.get("msg", "")}
        for e in exc.errors
    ]
    detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
    return problem(422, detail, errors=errors)


def _http_error_problem(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises HttpError(400) for a body it cannot parse; the cause says why.
    cause = exc.__cause__
    if exc.status_code == 400 and cause is not None:
        if isinstance(cause, ApiProblem):
            return cause.response()
        return problem(400, f"The body is not JSON: {cause}.")
    return problem(exc.status_code, exc.message)


def _not_found_problem(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(404, str(exc) or "Not found.")


def _too_big_problem(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(413, "The body is larger than this endpoint accepts.")


def _bad_cursor_problem(request: HttpRequest, exc: BadCursor) -> HttpResponse:
    return problem(400, str(exc))


def _unexpected_problem(request: HttpRequest, exc: Exception) -> HttpResponse:
    # What Django does for an uncaught exception (log it, send the signal the
    # test client and error reporters listen to), but answered as a problem.
    logger.error("API error: %s", exc, exc_info=exc, extra={"path": request.path})
    got_request_exception.send(sender=None, request=request)
    return problem(500, "Something went wrong on our side; it was logged.")


class JsonObjectParser(Parser):
    """Request bodies are JSON objects; anything else is a 400 saying so."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data = json_loads(request.body)
        except JsonTooDeep as exc:
            raise ApiProblem(400, f"The body is not acceptable JSON: {exc}.")
        if not isinstance(data, dict):
            raise ApiProblem(400, "The body must be a JSON object.")
        return data


# --- Documentation ----------------------------------------------------------------
class TemplateDocs(DocsBase):
    """The OpenAPI document rendered as a page by our own template: no scripts
    from a CDN, readable without JavaScript."""

    template = "dashboard/api_docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any):
        spec = api.get_openapi_schema(path_params=kwargs)
        operations = []
        for route, item in spec["paths"].items():
            for method, op in item.items():
                operations.append(
                    {
                        "path": route,
                        "method": method.upper(),
                        "anchor": re.sub(r"[^a-z0-9]+", "-", f"{method}{route}").strip(
                            "-"
                        ),
                        "summary": op.get("summary", ""),
                        "description": op.get("description", ""),
                        "security": ", ".join(
                            name for req in op.get("security", []) for name in req
                        ),
                        "parameters": op.get("parameters", []),
                        "request": json.dumps(op["requestBody"], indent=2)
                        if op.get("requestBody")
                        else "",
                        "responses": [
                            {"status": status, "description": r.get("description")}
                            for status, r in op.get("responses", {}).items()
                        ],
                    }
                )
        schemas = spec["components"].get("schemas", {})
        return render(
            request,
            self.template,
            {
                "spec": spec,
                "openapi_url": self.get_openapi_url(api, kwargs),
                "operations": operations,
                "schemas": {
                    name: json.dumps(schema, indent=2, ensure_ascii=False)
                    for name, schema in schemas.items()
                },
            },
        )


# --- The API --------------------------------------------------------------------------
def _problem_for_405(view: Callable) -> Callable:
    """ninja answers a wrong method with a bare 405; make it a problem."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = sorted(
                (m.strip() for m in response["Allow"].split(",") if m.strip()),
                key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else 99,
            )
            response = problem(405, f"Use {', '.join(allowed)} on this endpoint.")
            response["Allow"] = ", ".join(allowed)
        return response

    wrapper.csrf_exempt = True  # bearer tokens, not cookies
    return wrapper


def _no_such_endpoint(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    return problem(
        404, f"No endpoint at {request.path}; the API is described at /api/v1/docs."
    )


_no_such_endpoint.csrf_exempt = True


class ControlPlaneAPI(NinjaAPI):
    """NinjaAPI whose every error is problem+json, and whose OpenAPI document
    says so (application/problem+json, the GitHub signature scheme)."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("docs", TemplateDocs())
        kwargs.setdefault("docs_decorator", require_safe)
        kwargs.setdefault("parser", JsonObjectParser())
        super().__init__(**kwargs)

    def set_default_exception_handlers(self) -> None:
        self.add_exception_handler(Exception, _unexpected_problem)
        self.add_exception_handler(ApiProblem, lambda request, exc: exc.response())
        self.add_exception_handler(ValidationError, _validation_problem)
        self.add_exception_handler(HttpError, _http_error_problem)
        self.add_exception_handler(Http404, _not_found_problem)
        self.add_exception_handler(RequestDataTooBig, _too_big_problem)
        self.add_exception_handler(BadCursor, _bad_cursor_problem)

    def _get_urls(self) -> list:
        urls = [
            URLPattern(p.pattern, _problem_for_405(p.callback), p.default_args, p.name)
            for p in super()._get_urls()
            if p.name != "api-root"
        ]
        # Last: the root (ninja reverses it to find the prefix) and the rest.
        urls.append(path("", _no_such_endpoint, name="api-root"))
        urls.append(path("<path:unknown>", _no_such_endpoint, name="no-such-endpoint"))
        return urls

    def get_openapi_schema(self, **kwargs: Any):
        schema = super().get_openapi_schema(**kwargs)
        components = schema["components"]
        # Schemes the capabilities' webhooks verify (security_scheme_register).
        components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
        components.setdefault("securitySchemes", {})["githubSignature"] = {
            "type": "apiKey",
            "in": "header",
            "name": "X-Hub-Signature-256",
            "description": "sha256= and the hex HMAC-SHA256 of the raw body with "
            "the webhook's secret (GITHUB_WEBHOOK_SECRET).",
        }
        for item in schema["paths"].values():
            for operation in item.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        response["content"] = {
                            PROBLEM_CONTENT_TYPE: content["application/json"]
                        }
                    response["description"] = response.get("description") or (
                        HTTPStatus(int(status)).phrase
                    )
        return schema


# Security schemes of operations that check their own credentials (a sender's
# signature, a shared token): name -> OpenAPI scheme, added by the routers.
SECURITY_SCHEMES: dict[str, dict] = {}


def security_scheme_register(name: str, scheme: dict) -> None:
    """Name a scheme an operation's `security` uses (called from an api module)."""
    SECURITY_SCHEMES[name] = scheme


api = ControlPlaneAPI(
    title="Control plane API",
    version="1",
    urls_namespace="api",
    description=(
        "Ingestion (GitHub webhooks, CI runs, JUnit reports, performance samples, "
        "query plans) and gates (budgets, verdicts, flaky tests). Errors are "
        "application/problem+json (RFC 9457). Every JSON POST honours an "
        "Idempotency-Key header: the same key with the same body returns the first "
        "answer; with another body, 409."
    ),
)
