"""POST /api/v1/incidents (token scope `incidents`): upsert by (source,
external_id), severities mapped, never backwards; bad input is a 422."""

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.domains.services import ingest_token_create
from incidents.models import Incident
from incidents.severity import UnknownSeverity, severity_from
from tests.factories import DomainFactory, RepositoryFactory, ServiceFactory
from tests.incidents.factories import DeploymentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents"
T0 = datetime(2024, 2, 29, 23, 30, tzinfo=UTC)  # a leap day


def auth(domain, scopes=("incidents",)):
    token = ingest_token_create(domain=domain, name="pager", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}


@pytest.fixture
def domain():
    return DomainFactory()


def report(client, headers, **fields):
    body = {"external_id": "INC-1", "title": "Refunds stuck — «EU»", **fields}
    return client.post(URL, body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("SEV1", "SEV1"),
        ("sev-2", "SEV2"),
        ("P3", "SEV3"),
        ("p5", "SEV5"),
        ("critical", "SEV1"),
        ("High", "SEV2"),
        ("medium", "SEV3"),
        ("warning", "SEV3"),
        ("low", "SEV4"),
        ("info", "SEV5"),
        (4, "SEV4"),
    ],
)
def test_severities_map_onto_sev1_to_sev5(given, expected):
    assert severity_from(given) == expected


@pytest.mark.parametrize("given", ["SEV0", "P6", "urgent-ish", "", 0, True])
def test_an_unknown_severity_is_refused(given):
    with pytest.raises(UnknownSeverity):
        severity_from(given)


def test_a_report_creates_then_advances_the_incident(client, domain):
    headers = auth(domain)
    service = ServiceFactory(domain=domain, slug="refunds")
    created = report(
        client,
        headers,
        severity="P2",
        service="refunds",
        started_at=T0.isoformat(),
        updated_at=T0.isoformat(),
    )
    assert created.status_code == 201, created.content
    assert created.json()["severity"] == "SEV2"
    assert created.json()["result"] == "created"
    resolved = report(
        client,
        headers,
        status="resolved",
        updated_at=(T0 + timedelta(hours=2)).isoformat(),
    )
    assert resolved.status_code == 200 and resolved.json()["result"] == "updated"
    incident = Incident.objects.get()
    assert incident.domain == domain and incident.service == service
    assert incident.status == "resolved"
    assert incident.resolved_at == T0 + timedelta(hours=2)
    assert incident.timeline.filter(kind="status").count() == 1


def test_an_older_report_never_moves_it_back(client, domain):
    headers = auth(domain)
    report(client, headers, status="mitigated", updated_at=T0.isoformat())
    late = report(
        client,
        headers,
        status="acknowledged",
        updated_at=(T0 - timedelta(minutes=5)).isoformat(),
    )
    assert late.status_code == 200 and late.json()["status"] == "mitigated"
    assert late.json()["acknowledged_at"] == (T0 - timedelta(minutes=5)).isoformat()


def test_same_status_newer_report_changes_the_title_older_does_not(client, domain):
    headers = auth(domain)
    report(client, headers, updated_at=T0.isoformat())
    report(client, headers, title="Newer", updated_at=(T0 + timedelta(1)).isoformat())
    report(client, headers, title="Older", updated_at=T0.isoformat())
    assert Incident.objects.get().title == "Newer"


def test_the_suspected_deployment_is_linked_by_its_github_id(client, domain):
    repository = RepositoryFactory(domain=domain)
    deployment = DeploymentFactory(repository=repository, external_id=987654321)
    response = report(client, auth(domain), deployment=987654321)
    assert response.status_code == 201
    assert Incident.objects.get().deployment == deployment
    other = DeploymentFactory(external_id=5)  # another domain's deployment
    response = report(client, auth(domain), external_id="INC-2", deployment=5)
    assert response.status_code == 422 and "No deployment" in response.json()["detail"]
    assert other.pk


@pytest.mark.parametrize(
    "fields",
    [
        {"severity": "SEV9"},
        {"status": "exploded"},
        {"started_at": "yesterday"},
        {"started_at": "2024-02-29T23:30:00"},  # no offset
        {"title": ""},
        {"title": "a\x00b"},
        {"external_id": "x" * 201},
        {"deployment": 2**70},
        {"url": "javascript:alert(1)"},
        {
            "started_at": "2024-03-01T00:00:00Z",
            "resolved_at": "2024-02-01T00:00:00Z",
        },
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field(client, domain, fields):
    response = report(client, auth(domain), **fields)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]
    assert not Incident.objects.exists()


def test_the_scope_is_needed_and_domains_are_apart(client, domain):
    assert report(client, auth(domain, ("ci",))).status_code == 403
    assert report(client, {}).status_code == 401
    other = DomainFactory()
    report(client, auth(domain))
    report(client, auth(other))
    assert Incident.objects.filter(external_id="INC-1").count() == 2
    listed = client.get(URL, **auth(other)).json()["items"]
    assert len(listed) == 1


def test_an_idempotency_key_gives_the_first_answer_again(client, domain):
    headers = {**auth(domain), "HTTP_IDEMPOTENCY_KEY": "page-42"}
    first = report(client, headers, updated_at=T0.isoformat())
    again = report(client, headers, updated_at=T0.isoformat())
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = report(client, headers, title="Another body")
    assert other.status_code == 409


def test_the_openapi_document_names_each_senders_credentials(client):
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["pagerdutySignature"]["name"] == "X-PagerDuty-Signature"
    assert schemes["statuspageToken"]["in"] == "query"
    for path in ("pagerduty", "alertmanager", "opsgenie", "statuspage"):
        operation = document["paths"][f"/api/v1/webhooks/{path}"]["post"]
        (scheme,) = operation["security"][0]
        assert scheme in schemes
    names = [
        p["name"] for p in document["paths"]["/api/v1/incidents"]["post"]["parameters"]
    ]
    assert "Idempotency-Key" in names


def test_an_explicit_reopen_moves_a_resolved_incident_back(client, domain):
    headers = auth(domain)
    at = T0.isoformat()
    assert report(client, headers, status="resolved", updated_at=at).status_code == 201
    # A late `triggered` without reopen: not applied (never backwards).
    late = (T0 + timedelta(minutes=5)).isoformat()
    assert (
        report(client, headers, status="triggered", updated_at=late).json()["status"]
        == "resolved"
    )
    # The same with reopen: the source says it went back.
    reopened = report(client, headers, status="triggered", updated_at=late, reopen=True)
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "triggered"
    incident = Incident.objects.get()
    assert incident.resolved_at is None and incident.is_open
    # A reopen older than what is stored changes nothing.
    report(
        client,
        headers,
        status="resolved",
        updated_at=(T0 + timedelta(hours=1)).isoformat(),
    )
    stale = report(client, headers, status="triggered", updated_at=late, reopen=True)
    assert stale.json()["status"] == "resolved"


def test_a_reopen_to_resolved_is_a_422_that_says_why(client, domain):
    response = report(client, auth(domain), status="resolved", reopen=True)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert (
        "reopen moves an incident back to an open status" in response.json()["detail"]
    )
