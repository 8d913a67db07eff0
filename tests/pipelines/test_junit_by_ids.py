"""POST /api/v1/ci/junit?provider=&external_id=&attempt=&repository=: a CI step
uploads its JUnit report by the CI's own ids, no lookup of our run id first."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pipelines.models import Run, TestReport
from tests.pipelines.conftest import FIXTURES
from tests.pipelines.factories import RunFactory

pytestmark = pytest.mark.django_db

REPO = "octo-org/octo-repo"


def test_a_report_finds_its_run_by_the_ci_ids_in_the_query_string(api, ci_domain):
    run = RunFactory(
        repository=ci_domain.repositories.get(full_name=REPO),
        provider="github_actions",
        external_id="987654",
        attempt=2,
    )
    body = (FIXTURES / "surefire.xml").read_bytes()
    url = f"/api/v1/ci/junit?external_id=987654&attempt=2&repository={REPO}"
    response = api.post_xml(url, body)
    assert response.status_code == 202, response.content
    assert TestReport.objects.get().run_id == run.pk
    assert response.json()["testcases_seen"] == 5
    assert Run.objects.count() == 1


def test_the_ids_may_come_as_multipart_fields_and_a_new_run_is_created(api, ci_domain):
    upload = SimpleUploadedFile("junit.xml", (FIXTURES / "gradle.xml").read_bytes())
    response = api.client.post(
        "/api/v1/ci/junit",
        {
            "file": upload,
            "provider": "github_actions",
            "external_id": "555",
            "repository": REPO,
            "commit_sha": "a" * 40,
        },
        headers=api.headers(),
    )
    assert response.status_code == 202, response.content
    run = Run.objects.get()  # the webhook has not arrived yet: created
    assert (run.external_id, run.attempt, run.head_sha) == ("555", 1, "a" * 40)
    assert run.status == "in_progress"
    assert TestReport.objects.get().run_id == run.pk


def test_missing_ids_are_422_naming_them_and_create_nothing(api, ci_domain):
    body = (FIXTURES / "surefire.xml").read_bytes()
    response = api.post_xml("/api/v1/ci/junit?attempt=zero", body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"external_id", "repository", "attempt"} <= fields
    assert not Run.objects.exists() and not TestReport.objects.exists()


def test_an_unmapped_repository_is_422(api, ci_domain):
    body = (FIXTURES / "surefire.xml").read_bytes()
    response = api.post_xml("/api/v1/ci/junit?external_id=1&repository=x/y", body)
    assert response.status_code == 422
    assert "not mapped" in response.json()["detail"]


def test_an_unreadable_report_creates_no_run(api, ci_domain, testdata):
    body = (testdata / "junit/pytest__corrupt-xml.MALFORMED.xml").read_bytes()
    response = api.post_xml(f"/api/v1/ci/junit?external_id=1&repository={REPO}", body)
    assert response.status_code == 422
    assert not Run.objects.exists()
