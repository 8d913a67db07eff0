"""Perf samples may carry the pin (and version) they ran with: stored, part of
the sample's identity (stable and candidate at one commit are two samples),
refused when malformed with a problem+json 422 naming the field."""

import pytest

from pipelines.ingest.models import PerfSample
from tests.pipelines.test_api import perf_body

pytestmark = pytest.mark.django_db
STABLE = "a1b2c3d4e5f6"
CANDIDATE = "0f" * 32


def test_tagged_samples_are_stored_and_each_version_keeps_its_own(api):
    stable = api.post(
        "/api/v1/perf", perf_body(pin_id="checkout-summary", pin_version=STABLE)
    )
    candidate = api.post(
        "/api/v1/perf",
        perf_body(pin_id="checkout-summary", pin_version=CANDIDATE.upper(), p95_ms=400),
    )
    untagged = api.post("/api/v1/perf", perf_body(p95_ms=350))
    assert [r.status_code for r in (stable, candidate, untagged)] == [201, 201, 201]
    assert candidate.json()["pin_version"] == CANDIDATE  # lower-cased
    assert untagged.json()["pin_id"] is None
    assert sorted(
        PerfSample.objects.values_list("pin_id", "pin_version", "p95_ms")
    ) == [
        ("", "", 350.0),
        ("checkout-summary", CANDIDATE, 400.0),
        ("checkout-summary", STABLE, 312.0),
    ]
    again = api.post(
        "/api/v1/perf",
        perf_body(pin_id="checkout-summary", pin_version=STABLE, p95_ms=299),
    )
    assert again.status_code == 200 and again.json()["id"] == stable.json()["id"]
    assert PerfSample.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"pin_version": STABLE}, "", "pin_version was given without pin_id"),
        ({"pin_id": "Checkout"}, "pin_id", "lowercase"),
        ({"pin_id": "a\x00b"}, "pin_id", "lowercase"),
        ({"pin_id": "x" * 101}, "pin_id", "1–100"),
        ({"pin_id": "p", "pin_version": "abc"}, "pin_version", "64 hex"),
        ({"pin_id": "p", "pin_version": "g" * 12}, "pin_version", "64 hex"),
        ({"pin_id": "p", "pin_version": "a" * 65}, "pin_version", "64 hex"),
        ({"pin_id": "p", "pin_version": 123456789012}, "pin_version", "64 hex"),
    ],
)
def test_bad_pin_tags_are_a_problem_422(api, change, field, says):
    response = api.post("/api/v1/perf", perf_body(**change))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert any(e["field"].endswith(field) and says in e["detail"] for e in errors), (
        errors
    )
    assert not PerfSample.objects.exists()


def test_the_openapi_document_describes_the_tags(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    fields = schema["PerfSampleIn"]["properties"]
    assert "pattern" in str(fields["pin_id"]) and "pattern" in str(
        fields["pin_version"]
    )
    assert "pin_version" in schema["PerfSampleOut"]["properties"]


def test_the_perf_gate_judges_each_version_and_names_the_one_that_broke(api, ci_domain):
    from dashboard.domains.models import Repository
    from pipelines.gates.models import PerfBudget
    from pipelines.gates.services.gates import perf_verdict

    PerfBudget.objects.create(domain=ci_domain, p95_ms_max=350)
    api.post("/api/v1/perf", perf_body(pin_id="summary", pin_version=STABLE))
    api.post(
        "/api/v1/perf",
        perf_body(pin_id="summary", pin_version=CANDIDATE, p95_ms=400, p99_ms=500),
    )
    sample = PerfSample.objects.first()
    repository = Repository.objects.get(pk=sample.repository_id)
    verdict = perf_verdict(repository, sample.commit_sha)
    assert verdict.state == "failure"
    assert f"(summary@{CANDIDATE[:12]})" in verdict.description
    assert f"summary@{STABLE}" not in verdict.description
    judged = {
        (s["pin_version"], bool(s["violations"])) for s in verdict.details["samples"]
    }
    assert judged == {(STABLE, False), (CANDIDATE, True)}
