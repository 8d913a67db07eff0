"""Every /api/v1 operation, fuzzed from the app's own OpenAPI document
(schemathesis over the Django WSGI app, a real `ci` token of a seeded domain
with a mapped repository): no 5xx, every status documented, every response
body as its schema says. `make fuzz` runs the same with many more examples.

Two operations are called but cannot be exercised deeply, and still must
answer as documented: the webhook (the fuzzer does not know the signing
secret, so every case is a documented 401; signed deliveries are tested in
tests/pipelines/test_webhooks.py) and the JUnit upload (generated run ids
rarely name a run of the token's domain, so most cases are a 404; reports are
tested in tests/pipelines/test_junit.py).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from dashboard.domains import services as domain_services
from tests.factories import DomainFactory, RepositoryFactory

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


# Loaded once at collection, from the app itself (no server): one test per
# operation, so xdist spreads them. (schemathesis's lazy pytest loader does not
# run under pytest 9, hence the plain parametrize below.)
APP = get_wsgi_application()
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture
def app_in_test_transaction():
    # What Django's test client does: the request cycle must not close the
    # test's connection (it holds the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield APP
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def ci_token() -> str:
    domain = DomainFactory(slug="fuzzed")
    RepositoryFactory(domain=domain, full_name="octo-org/octo-repo")
    return domain_services.ingest_token_create(
        domain=domain, name="fuzz", scopes=["ci", "incidents"]
    ).plaintext


def test_the_document_has_every_operation():
    assert len(OPERATIONS) >= 12


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_answers_as_documented(
    operation, ci_token, app_in_test_transaction
):
    headers = {"Authorization": f"Bearer {ci_token}"}

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()


def test_the_document_links_a_new_run_to_what_comes_next():
    responses = SCHEMA.raw_schema["paths"]["/api/v1/ci/runs"]["post"]["responses"]
    assert set(responses["201"]["links"]) == {"GetRun", "UploadJUnit"}


def test_stateful_sequences_follow_the_links(ci_token, app_in_test_transaction):
    """Sequences of calls along the document's links (create a run, read it,
    upload a report to it, read the report): every step answers as documented."""
    headers = {"Authorization": f"Bearer {ci_token}"}
    followed: list[tuple[str, int]] = []

    class Machine(SCHEMA.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def before_call(self, case):
            # Runs of the one mapped repository, so sequences get past the
            # "not mapped" 422 and the links lead somewhere.
            if case.operation.label == "POST /api/v1/ci/runs" and isinstance(
                case.body, dict
            ):
                case.body["repository"] = "octo-org/octo-repo"

        def after_call(self, response, case):
            if "{id}" in case.operation.path:
                followed.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=settings(
            max_examples=max(5, MAX_EXAMPLES // 2),
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The links were followed to a run the sequence created (not only 404s).
    assert ("GET /api/v1/ci/runs/{id}", 200) in followed, followed[:20]
