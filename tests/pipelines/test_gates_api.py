"""GET /api/v1/gates/{sha} and GET /api/v1/flaky-tests, restricted to the
token's domain."""

import pytest
from django.utils import timezone

from dashboard.domains.services import ingest_token_create
from pipelines.models import FlakyTest, GateVerdict
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.factories import sha_for
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db

SHA = sha_for("api commit")


@pytest.fixture
def repo():
    return RepositoryFactory(
        domain=DomainFactory(slug="paiements"), full_name="Acme/Pay"
    )


def auth(domain, scopes=("ci",)):
    token = ingest_token_create(domain=domain, name="ci", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}


def make_verdict(repo, context="controlplane/perf", sha=SHA, **fields):
    now = timezone.now()
    values = {
        "state": "failure",
        "description": "p95 312 ms > budget 250 ms; +18% vs main",
        "evaluated_at": now,
        "changed_at": now,
        **fields,
    }
    return GateVerdict.objects.create(
        domain=repo.domain, repository=repo, sha=sha, context=context, **values
    )


def test_every_verdict_of_the_commit_is_returned(client, repo, settings):
    settings.PUBLIC_BASE_URL = "https://cp.example.org"
    make_verdict(repo)
    make_verdict(
        repo, "controlplane/tests", state="success", description="all 3 tests passed"
    )
    response = client.get(
        f"/api/v1/gates/{SHA}?repository=acme/pay", **auth(repo.domain)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["sha"] == SHA
    assert [(v["context"], v["state"], v["description"]) for v in body["verdicts"]] == [
        ("controlplane/perf", "failure", "p95 312 ms > budget 250 ms; +18% vs main"),
        ("controlplane/tests", "success", "all 3 tests passed"),
    ]
    assert body["verdicts"][0]["repository"] == "Acme/Pay"
    assert body["verdicts"][0]["target_url"] == (
        f"https://cp.example.org/d/paiements/commits/{SHA}/?repository=Acme/Pay"
    )
    assert body["verdicts"][0]["posted_state"] is None


def test_another_domains_verdicts_are_invisible(client, repo):
    make_verdict(repo)
    other = DomainFactory()
    response = client.get(f"/api/v1/gates/{SHA}", **auth(other))
    assert response.json()["verdicts"] == []
    response = client.get(f"/api/v1/gates/{SHA}?repository=Acme/Pay", **auth(other))
    assert response.status_code == 404
    assert "No repository 'Acme/Pay'" in response.json()["detail"]


def test_a_sha_that_is_not_hex_is_a_400(client, repo):
    response = client.get("/api/v1/gates/not-a-sha", **auth(repo.domain))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_gates_need_a_ci_token(client, repo):
    assert client.get(f"/api/v1/gates/{SHA}").status_code == 401
    response = client.get(f"/api/v1/gates/{SHA}", **auth(repo.domain, ("slo",)))
    assert response.status_code == 403


def test_gates_query_count_does_not_grow_with_verdicts(client, repo):
    headers = auth(repo.domain)
    client.get(f"/api/v1/gates/{SHA}", **headers)
    counter = iter(range(10_000))

    def make(n):
        for _ in range(n):
            other = RepositoryFactory(domain=repo.domain)
            make_verdict(other, sha=SHA, description=f"r{next(counter)}")

    assert_constant_queries(make, lambda: client.get(f"/api/v1/gates/{SHA}", **headers))


def make_flaky(repo, n, start=0):
    now = timezone.now()
    for i in range(start, start + n):
        FlakyTest.objects.create(
            domain=repo.domain,
            repository=repo,
            test_key=sha_for(f"flaky{i}"),
            classname="tests.Ünïcode",
            name=f"test_{i}",
            flip_count=i + 1,
            first_seen_at=now,
            last_seen_at=now + timezone.timedelta(seconds=i),
            last_sha=sha_for(i),
        )


def test_flaky_tests_are_listed_most_recent_first_with_a_cursor(client, repo):
    make_flaky(repo, 5)
    headers = auth(repo.domain)
    first = client.get("/api/v1/flaky-tests?page_size=3", **headers).json()
    assert [f["name"] for f in first["items"]] == ["test_4", "test_3", "test_2"]
    assert first["items"][0]["flip_count"] == 5
    assert first["items"][0]["test"] == "tests.Ünïcode::test_4"
    second = client.get(
        f"/api/v1/flaky-tests?page_size=3&cursor={first['next_cursor']}", **headers
    ).json()
    assert [f["name"] for f in second["items"]] == ["test_1", "test_0"]
    assert second["next_cursor"] is None


def test_a_bad_cursor_is_a_400(client, repo):
    response = client.get("/api/v1/flaky-tests?cursor=%%%", **auth(repo.domain))
    assert response.status_code == 400


def test_flaky_tests_of_another_domain_are_invisible(client, repo):
    make_flaky(repo, 2)
    assert (
        client.get("/api/v1/flaky-tests", **auth(DomainFactory())).json()["items"] == []
    )


def test_flaky_list_query_count_is_constant(client, repo):
    headers = auth(repo.domain)
    client.get("/api/v1/flaky-tests", **headers)
    counter = iter(range(0, 10_000, 100))
    assert_constant_queries(
        lambda n: make_flaky(repo, n, next(counter)),
        lambda: client.get("/api/v1/flaky-tests", **headers),
    )


def test_the_gates_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/budgets"]) == {"get", "put"}
    assert "422" in paths["/api/v1/budgets"]["put"]["responses"]
    assert "get" in paths["/api/v1/gates/{sha}"]
    assert "get" in paths["/api/v1/flaky-tests"]
