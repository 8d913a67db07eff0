"""The OpenAPI document at /api/v1/openapi.json and its HTML rendering at
/api/v1/docs, merged from one fragment module per area.

A fragment module defines PATHS (OpenAPI path items) and SCHEMAS (components);
add its dotted path to FRAGMENTS. tests/pipelines/test_openapi.py checks that
every /api/v1 URL is documented.
"""

import copy
import json
from functools import cache
from importlib import import_module

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

FRAGMENTS: list[str] = ["pipelines.ingest.openapi"]

BASE = {
    "openapi": "3.1.0",
    "info": {
        "title": "Control plane API",
        "version": "1",
        "description": (
            "Ingestion (GitHub webhooks, CI runs, JUnit reports, performance "
            "samples, query plans) and gates. Errors are application/problem+json "
            "(RFC 9457). Every POST honours an Idempotency-Key header: the same key "
            "with the same body returns the first answer; with another body, 409."
        ),
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {
            "ingestToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A domain's ingest token with the scope the "
                "endpoint names (`ci` here).",
            },
            "githubSignature": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Hub-Signature-256",
                "description": "sha256= + hex HMAC-SHA256 of the raw body with "
                "GITHUB_WEBHOOK_SECRET.",
            },
        },
        "schemas": {
            "Problem": {
                "type": "object",
                "required": ["type", "title", "status", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "request_id": {"type": "string"},
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "detail": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
        "parameters": {
            "IdempotencyKey": {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 255},
                "description": "Retry safely: the same key and body replay the first "
                "answer (header Idempotent-Replayed: true); another body is a 409.",
            }
        },
    },
    "paths": {},
}


@cache
def openapi_document() -> dict:
    document = copy.deepcopy(BASE)
    for dotted in FRAGMENTS:
        module = import_module(dotted)
        for path, item in module.PATHS.items():
            document["paths"].setdefault(path, {}).update(copy.deepcopy(item))
        document["components"]["schemas"].update(copy.deepcopy(module.SCHEMAS))
    return document


def document(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 2})


def docs(request: HttpRequest) -> HttpResponse:
    spec = openapi_document()
    operations = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            operations.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "anchor": f"{method}-{path}".replace("/", "-").strip("-"),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "security": ", ".join(
                        name for req in op.get("security", []) for name in req
                    ),
                    "parameters": op.get("parameters", []),
                    "request": json.dumps(op.get("requestBody", {}), indent=2)
                    if op.get("requestBody")
                    else "",
                    "responses": [
                        {"status": status, "description": r.get("description", "")}
                        for status, r in op.get("responses", {}).items()
                    ],
                }
            )
    return render(
        request,
        "pipelines/api_docs.html",
        {
            "spec": spec,
            "operations": operations,
            "schemas": {
                name: json.dumps(schema, indent=2, ensure_ascii=False)
                for name, schema in spec["components"]["schemas"].items()
            },
        },
    )
