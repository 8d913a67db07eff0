"""OpenAPI fragment for budgets, gate verdicts and flaky tests (merged by
pipelines.openapi)."""

from pipelines.openapi_common import AUTH_ERRORS, TOKEN
from pipelines.openapi_common import json_response as _json
from pipelines.openapi_common import problem_response as _problem

LIMIT = {"type": ["number", "null"], "minimum": 0}

PATHS = {
    "/api/v1/budgets": {
        "get": {
            "summary": "The domain's performance and query-plan budgets",
            "description": "The token's domain's budgets, as the document PUT takes.",
            "security": TOKEN,
            "responses": {"200": _json("The budgets.", "Budgets"), **AUTH_ERRORS},
        },
        "put": {
            "summary": "Replace the domain's budgets",
            "description": (
                "Makes the domain's budgets exactly this document (all or nothing), "
                "so a team can keep it in its repository and apply it from CI. A "
                "blank service, scenario or query_name means any; the most specific "
                "budget applies. Audited."
            ),
            "security": TOKEN,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/BudgetsDocument"}
                    }
                },
            },
            "responses": {
                "200": _json("The budgets now in force.", "Budgets"),
                "400": _problem("The body is not JSON."),
                "413": _problem("The document is over 1 MB."),
                "422": _problem(
                    "The document is invalid; `detail` names the field, e.g. "
                    "'perf[0].p95_ms_max must be a number ≥ 0 or null'."
                ),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/gates/{sha}": {
        "get": {
            "summary": "Every gate verdict of a commit",
            "description": (
                "Verdicts of the contexts controlplane/tests, controlplane/perf and "
                "controlplane/query-plans, as posted to GitHub as commit statuses, "
                "with a one-line reason and the details behind it. Restricted to "
                "the token's domain."
            ),
            "security": TOKEN,
            "parameters": [
                {
                    "name": "sha",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{4,64}$"},
                },
                {
                    "name": "repository",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "examples": ["acme/payments-api"]},
                    "description": "OWNER/NAME; without it, every repository of the "
                    "domain with that commit.",
                },
            ],
            "responses": {
                "200": _json("The verdicts (possibly none yet).", "GateVerdicts"),
                "400": _problem("The sha is not hexadecimal."),
                "404": _problem("No such repository in the token's domain."),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/flaky-tests": {
        "get": {
            "summary": "The domain's flaky tests, most recent first",
            "description": (
                "A test is flaky when it both failed and passed on the same commit "
                "(across attempts or runs). flip_count counts such commits. Cursor "
                "pagination: pass next_cursor back as cursor."
            ),
            "security": TOKEN,
            "parameters": [
                {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "page_size",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                },
            ],
            "responses": {
                "200": _json("One page.", "FlakyTestPage"),
                "400": _problem("The cursor is not one this server issued."),
                **AUTH_ERRORS,
            },
        }
    },
}

_PERF = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "service": {"type": "string", "maxLength": 50},
        "scenario": {"type": "string", "maxLength": 200},
        "p95_ms_max": LIMIT,
        "memory_mb_max": LIMIT,
        "max_regression_pct": {
            **LIMIT,
            "description": "Largest allowed rise of p95 over the median of the "
            "base branch's last 10 samples, in %.",
        },
    },
}
_PLAN = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "service": {"type": "string", "maxLength": 50},
        "query_name": {"type": "string", "maxLength": 200},
        "max_total_cost": LIMIT,
        "no_seq_scan_tables": {"type": "array", "items": {"type": "string"}},
    },
}

SCHEMAS = {
    "BudgetsDocument": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "perf": {"type": "array", "items": _PERF},
            "query_plans": {"type": "array", "items": _PLAN},
        },
        "examples": [
            {
                "perf": [
                    {
                        "scenario": "checkout",
                        "p95_ms_max": 250,
                        "max_regression_pct": 10,
                    }
                ],
                "query_plans": [
                    {
                        "query_name": "orders_by_customer",
                        "max_total_cost": 5000,
                        "no_seq_scan_tables": ["orders"],
                    }
                ],
            }
        ],
    },
    "Budgets": {
        "type": "object",
        "properties": {
            "domain": {"type": "string"},
            "perf": {"type": "array", "items": _PERF},
            "query_plans": {"type": "array", "items": _PLAN},
        },
    },
    "GateVerdict": {
        "type": "object",
        "properties": {
            "repository": {"type": "string"},
            "sha": {"type": "string"},
            "context": {
                "enum": [
                    "controlplane/tests",
                    "controlplane/perf",
                    "controlplane/query-plans",
                ]
            },
            "state": {"enum": ["success", "failure", "pending", "error"]},
            "description": {
                "type": "string",
                "examples": ["p95 312 ms > budget 250 ms; +18% vs main"],
            },
            "details": {"type": "object"},
            "evaluated_at": {"type": "string", "format": "date-time"},
            "changed_at": {"type": "string", "format": "date-time"},
            "posted_state": {"type": ["string", "null"]},
            "posted_at": {"type": ["string", "null"], "format": "date-time"},
            "post_error": {"type": ["string", "null"]},
            "target_url": {"type": "string", "format": "uri"},
        },
    },
    "GateVerdicts": {
        "type": "object",
        "properties": {
            "sha": {"type": "string"},
            "verdicts": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/GateVerdict"},
            },
        },
    },
    "FlakyTest": {
        "type": "object",
        "properties": {
            "repository": {"type": "string"},
            "test": {"type": "string"},
            "classname": {"type": "string"},
            "name": {"type": "string"},
            "flip_count": {"type": "integer"},
            "first_seen_at": {"type": "string", "format": "date-time"},
            "last_seen_at": {"type": "string", "format": "date-time"},
            "last_sha": {"type": "string"},
        },
    },
    "FlakyTestPage": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/FlakyTest"},
            },
            "next_cursor": {"type": ["string", "null"]},
            "page_size": {"type": "integer"},
        },
    },
}
