"""Fixtures for the ingestion tests: a domain with GitHub's sample repositories
mapped, a `ci` token, signed webhook deliveries, uploads kept in a temp folder."""

import json
import uuid
from pathlib import Path

import pytest

from dashboard.domains import services as dashboard_services
from pipelines.ingest.services.webhooks import signature_for
from tests.factories import DomainFactory, RepositoryFactory

FIXTURES = Path(__file__).parent / "fixtures"
WEBHOOK_URL = "/api/v1/webhooks/github"
# The repositories GitHub's published sample payloads name.
SAMPLE_REPOSITORIES = ("Codertocat/Hello-World", "octo-org/octo-repo")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ci_domain(db):
    domain = DomainFactory(slug="payments-ci")
    for full_name in SAMPLE_REPOSITORIES:
        RepositoryFactory(domain=domain, full_name=full_name)
    return domain


@pytest.fixture
def ci_token(ci_domain) -> str:
    return dashboard_services.ingest_token_create(
        domain=ci_domain, name="ci", scopes=["ci"]
    ).plaintext


@pytest.fixture
def budgets_token(ci_domain) -> str:
    """A token that may replace the domain's budgets (minted by an operator)."""
    return dashboard_services.ingest_token_create(
        domain=ci_domain, name="budgets", scopes=["budgets"]
    ).plaintext


@pytest.fixture
def api(client, ci_token):
    return ApiClient(client, ci_token)


class ApiClient:
    """The Django test client with a Bearer token and JSON helpers."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def headers(self, key: str | None = None, **extra: str) -> dict:
        headers = {"Authorization": f"Bearer {self.token}", **extra}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def post(self, path: str, data: object, *, key: str | None = None):
        body = data if isinstance(data, bytes | str) else json.dumps(data)
        return self.client.post(
            path, body, content_type="application/json", headers=self.headers(key)
        )

    def post_xml(self, path: str, body: bytes, *, key: str | None = None, **kw):
        return self.client.post(
            path,
            body,
            content_type=kw.pop("content_type", "application/xml"),
            headers=self.headers(key),
        )

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self.headers())


def sample_payloads(testdata: Path) -> list[Path]:
    return sorted((testdata / "github_webhooks").glob("*.json"))


def event_of(path: Path) -> str:
    """octokit__workflow_run_completed.payload.json -> workflow_run."""
    stem = path.name.split("__", 1)[1]
    for event in (
        "workflow_run",
        "workflow_job",
        "check_suite",
        "check_run",
        "pull_request",
        "deployment_status",
        "deployment",
        "push",
        "status",
    ):
        if stem.startswith(event):
            return event
    raise ValueError(path.name)


def deliver(
    client,
    event: str,
    body: bytes,
    *,
    delivery_id: str | None = None,
    secret: str | None = None,
    headers: dict | None = None,
):
    """POST a delivery exactly as GitHub would: raw body, signed."""
    all_headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": "292430182",
        "X-Hub-Signature-256": signature_for(body, secret),
        "User-Agent": "GitHub-Hookshot/044aadd",
        **(headers or {}),
    }
    all_headers = {k: v for k, v in all_headers.items() if v is not None}
    return client.post(
        WEBHOOK_URL, body, content_type="application/json", headers=all_headers
    )
