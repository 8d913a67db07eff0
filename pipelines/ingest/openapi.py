"""OpenAPI fragment for the ingestion endpoints (merged by pipelines.openapi)."""

from pipelines.openapi_common import AUTH_ERRORS, TOKEN
from pipelines.openapi_common import json_response as _json
from pipelines.openapi_common import problem_response as _problem

IDEMPOTENCY = {"$ref": "#/components/parameters/IdempotencyKey"}

PATHS = {
    "/api/v1/webhooks/github": {
        "post": {
            "summary": "Receive a GitHub webhook delivery",
            "description": (
                "Exactly as GitHub sends it. The raw body is stored before the answer "
                "and processed by a worker. Processed events: workflow_run, "
                "workflow_job, check_suite, check_run, pull_request, push, "
                "deployment, deployment_status, status. A delivery for a repository "
                "not mapped to a domain is kept as ignored and can be replayed."
            ),
            "security": [{"githubSignature": []}],
            "parameters": [
                {
                    "name": "X-GitHub-Event",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                },
                {
                    "name": "X-GitHub-Delivery",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                },
                {
                    "name": "X-Hub-Signature-256",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {
                "202": _json("A new delivery, stored and queued.", "DeliveryAccepted"),
                "200": _json(
                    "A delivery id already seen (no second effect), or ping.",
                    "DeliveryAccepted",
                ),
                "400": _problem(
                    "A missing X-GitHub-Event/X-GitHub-Delivery header, or a body that is not a JSON object."
                ),
                "401": _problem("The signature is missing or does not match."),
                "413": _problem("The body is over GitHub's 25 MB maximum."),
            },
        }
    },
    "/api/v1/ci/runs": {
        "get": {
            "summary": "List the domain's CI runs",
            "description": "Newest first, cursor-paginated (page_size ≤ 200).",
            "security": TOKEN,
            "parameters": [
                {
                    "name": "repository",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "OWNER/NAME",
                },
                {"name": "branch", "in": "query", "schema": {"type": "string"}},
                {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                {
                    "name": "page_size",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                },
            ],
            "responses": {
                "200": _json("A page of runs.", "RunPage"),
                "400": _problem("A cursor this server did not issue."),
                **AUTH_ERRORS,
            },
        },
        "post": {
            "summary": "Create or advance a CI run",
            "description": (
                "Upsert by (provider, repository, external_id, attempt). A run never "
                "moves backwards: a report with a lower status (queued < in_progress "
                "< completed) or an older updated_at changes nothing."
            ),
            "security": TOKEN,
            "parameters": [IDEMPOTENCY],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/RunInput"}
                    }
                },
            },
            "responses": {
                "201": _json("Created.", "Run"),
                "200": _json("Updated or unchanged (see `result`).", "Run"),
                "400": _problem("Not JSON."),
                "409": _problem("The Idempotency-Key was used for another request."),
                "413": _problem("Body over 10 MB."),
                "422": _problem(
                    "Invalid fields, or a repository not mapped to the domain."
                ),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/ci/runs/{id}": {
        "get": {
            "summary": "A run with its test summary and reports",
            "security": TOKEN,
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "responses": {
                "200": _json("The run.", "Run"),
                "404": _problem("No such run in the domain."),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/ci/runs/{id}/junit": {
        "post": {
            "summary": "Upload a JUnit XML report for a run",
            "description": (
                "Content-Type application/xml (raw body) or multipart/form-data (field "
                "`file`). Dialects: pytest, Maven Surefire, Gradle, jest-junit, "
                "go-junit-report, nested testsuites. The file is checked for "
                "well-formedness at once (422 with line and column), stored, and "
                "parsed by a worker; poll `status_url` for the counts. Entity "
                "declarations (XML bombs) are refused with 422."
            ),
            "security": TOKEN,
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                },
                IDEMPOTENCY,
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/xml": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "file": {"type": "string", "format": "binary"}
                            },
                        }
                    },
                },
            },
            "responses": {
                "202": _json("Stored; a worker parses it.", "Report"),
                "404": _problem("No such run in the domain."),
                "409": _problem("The Idempotency-Key was used for another request."),
                "413": _problem("The report is over 200 MB."),
                "415": _problem("Neither XML nor multipart."),
                "422": _problem(
                    "Malformed XML (with `line` and `column`), entities, or not JUnit."
                ),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/ci/reports/{id}": {
        "get": {
            "summary": "A JUnit report's state and counts",
            "security": TOKEN,
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "responses": {
                "200": _json("The report.", "Report"),
                "404": _problem("No such report in the domain."),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/perf": {
        "post": {
            "summary": "Record performance figures for a commit and scenario",
            "description": "One sample per (repository, commit_sha, service, scenario); reporting it again replaces it.",
            "security": TOKEN,
            "parameters": [IDEMPOTENCY],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/PerfInput"}
                    }
                },
            },
            "responses": {
                "201": _json("Recorded.", "PerfSample"),
                "200": _json("Replaced an earlier sample.", "PerfSample"),
                "409": _problem("The Idempotency-Key was used for another request."),
                "422": _problem(
                    "Invalid fields, or a repository not mapped to the domain."
                ),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/query-plans": {
        "post": {
            "summary": "Record a query plan for a named query at a commit",
            "description": (
                "`plan` is EXPLAIN (FORMAT JSON) output as PostgreSQL prints it "
                "(with or without ANALYZE and BUFFERS), as JSON or as a string. The "
                "total cost and every (node type, relation) are extracted."
            ),
            "security": TOKEN,
            "parameters": [IDEMPOTENCY],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/QueryPlanInput"}
                    }
                },
            },
            "responses": {
                "201": _json("Recorded.", "QueryPlan"),
                "200": _json("Replaced an earlier plan.", "QueryPlan"),
                "409": _problem("The Idempotency-Key was used for another request."),
                "422": _problem(
                    "Invalid fields or not an EXPLAIN (FORMAT JSON) document."
                ),
                **AUTH_ERRORS,
            },
        }
    },
}

_STR = {"type": "string"}
_SHA = {"type": "string", "pattern": "^[0-9a-fA-F]{7,64}$"}
_TIME = {"type": "string", "format": "date-time"}
_STATUS = {
    "type": "string",
    "enum": ["requested", "queued", "waiting", "pending", "in_progress", "completed"],
}
_CONCLUSION = {
    "type": "string",
    "enum": [
        "success",
        "failure",
        "neutral",
        "cancelled",
        "skipped",
        "timed_out",
        "action_required",
        "stale",
        "startup_failure",
    ],
}

SCHEMAS = {
    "DeliveryAccepted": {
        "type": "object",
        "properties": {
            "delivery_id": _STR,
            "event": _STR,
            "duplicate": {"type": "boolean"},
            "state": _STR,
        },
    },
    "RunInput": {
        "type": "object",
        "required": ["provider", "external_id", "repository", "commit_sha"],
        "properties": {
            "provider": {"type": "string", "maxLength": 40, "examples": ["jenkins"]},
            "external_id": {"type": "string", "maxLength": 64},
            "attempt": {"type": "integer", "minimum": 1, "default": 1},
            "repository": {"type": "string", "examples": ["acme/payments-api"]},
            "commit_sha": _SHA,
            "branch": _STR,
            "pull_request_number": {"type": "integer", "minimum": 1},
            "workflow": _STR,
            "status": _STATUS,
            "conclusion": _CONCLUSION,
            "started_at": _TIME,
            "completed_at": _TIME,
            "updated_at": {
                **_TIME,
                "description": "When this state was true; defaults to completed_at or now. Orders reports of equal status.",
            },
            "url": {"type": "string", "format": "uri"},
        },
    },
    "Run": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "provider": _STR,
            "external_id": _STR,
            "attempt": {"type": "integer"},
            "repository": _STR,
            "commit_sha": _STR,
            "branch": _STR,
            "pull_request_number": {"type": ["integer", "null"]},
            "workflow": _STR,
            "status": _STATUS,
            "conclusion": {"type": ["string", "null"]},
            "started_at": _TIME,
            "completed_at": {"type": ["string", "null"], "format": "date-time"},
            "url": {"type": ["string", "null"]},
            "api_url": _STR,
            "result": {"type": "string", "enum": ["created", "updated", "unchanged"]},
            "test_summary": {"type": "object"},
            "reports": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Report"},
            },
        },
    },
    "RunPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Run"}},
            "next_cursor": {"type": ["string", "null"]},
            "next": {"type": ["string", "null"]},
            "page_size": {"type": "integer"},
        },
    },
    "Report": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "run_id": {"type": "integer"},
            "state": {
                "type": "string",
                "enum": ["pending", "processing", "done", "failed"],
            },
            "filename": _STR,
            "size_bytes": {"type": "integer"},
            "sha256": _STR,
            "error": {"type": ["string", "null"]},
            "status_url": _STR,
            "counts": {
                "type": ["object", "null"],
                "properties": {
                    k: {"type": "integer"}
                    for k in (
                        "suites",
                        "tests",
                        "passed",
                        "failures",
                        "errors",
                        "skipped",
                    )
                },
            },
        },
    },
    "PerfInput": {
        "type": "object",
        "required": [
            "repository",
            "commit_sha",
            "scenario",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "sample_count",
        ],
        "properties": {
            "repository": _STR,
            "commit_sha": _SHA,
            "branch": _STR,
            "base_branch": _STR,
            "service": _STR,
            "scenario": _STR,
            "p50_ms": {"type": "number", "minimum": 0},
            "p95_ms": {"type": "number", "minimum": 0},
            "p99_ms": {"type": "number", "minimum": 0},
            "peak_memory_mb": {"type": "number", "minimum": 0},
            "sample_count": {"type": "integer", "minimum": 1},
        },
    },
    "PerfSample": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "scenario": _STR,
            "p95_ms": {"type": "number"},
        },
    },
    "QueryPlanInput": {
        "type": "object",
        "required": ["repository", "commit_sha", "query_name", "plan"],
        "properties": {
            "repository": _STR,
            "commit_sha": _SHA,
            "branch": _STR,
            "service": _STR,
            "query_name": _STR,
            "plan": {
                "description": 'EXPLAIN (FORMAT JSON) output: [{"Plan": {…}}], as JSON or a string.'
            },
        },
    },
    "QueryPlan": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "query_name": _STR,
            "total_cost": {"type": "number"},
            "analyzed": {"type": "boolean"},
            "nodes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "node_type": _STR,
                        "relation": {"type": ["string", "null"]},
                    },
                },
            },
            "seq_scan_relations": {"type": "array", "items": _STR},
        },
    },
}
