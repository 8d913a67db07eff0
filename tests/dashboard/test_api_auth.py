"""Bearer-token authentication of the API (TokenAuth): 401/403 problem+json,
denials counted. Checked on a small API of its own, mounted at /t/."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import path
from django.utils import timezone

from dashboard.domains import services
from dashboard.domains.auth import TokenAuth
from dashboard.models import PermissionDenial, PermissionDenialMinute
from dashboard.platform.api import ControlPlaneAPI
from tests.factories import DomainFactory

auth_api = ControlPlaneAPI(urls_namespace="test-auth", openapi_url=None)


@auth_api.api_operation(["GET", "POST"], "/ci", auth=TokenAuth(scope="ci"))
def _ci_view(request):
    return {
        "domain": request.domain.slug,
        "token": request.ingest_token.prefix,
        "scopes": sorted(request.token_scopes),
    }


@auth_api.api_operation(["GET", "POST"], "/any", auth=TokenAuth())
def _any_view(request):
    return {"domain": request.domain.slug}


urlpatterns = [path("t/", auth_api.urls)]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def domain():
    return DomainFactory(slug="payments")


def _token(domain, *scopes):
    return services.ingest_token_create(domain=domain, name="ci", scopes=list(scopes))


def test_a_valid_token_with_the_scope_resolves_domain_and_scopes(client, domain):
    issued = _token(domain, "ci", "slo")
    # A POST without a CSRF token: bearer-token views are CSRF-exempt.
    client_ = type(client)(enforce_csrf_checks=True)
    response = client_.post("/t/ci", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.status_code == 200
    assert response.json() == {
        "domain": "payments",
        "token": issued.token.prefix,
        "scopes": ["ci", "slo"],
    }
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None
    assert not PermissionDenial.objects.exists()


def test_scheme_is_case_insensitive(client, domain):
    issued = _token(domain, "ci")
    response = client.get("/t/ci", HTTP_AUTHORIZATION=f"bearer {issued.plaintext}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_missing_or_malformed_header_is_401_problem(client, domain, header):
    kwargs = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.post("/t/ci", **kwargs)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer realm="control plane"'
    body = response.json()
    assert body["status"] == 401 and "Authorization: Bearer" in body["detail"]
    denial = PermissionDenial.objects.get()
    assert (denial.status_code, denial.action, denial.path) == (
        401,
        "ingest.ci",
        "/t/ci",
    )
    assert denial.request_id == response["X-Request-ID"] == body["request_id"]


def test_unknown_forged_and_revoked_tokens_are_401(client, domain):
    issued = _token(domain, "ci")
    # Same prefix, wrong secret: the hash comparison must refuse it.
    forged = issued.plaintext[:-4] + (
        "AAAA" if issued.plaintext[-4:] != "AAAA" else "BBBB"
    )
    revoked = _token(domain, "ci")
    services.ingest_token_revoke(token=revoked.token)
    for credential in ["cpi_deadbeef_nope", forged, "not-even-ours", revoked.plaintext]:
        response = client.post("/t/ci", HTTP_AUTHORIZATION=f"Bearer {credential}")
        assert response.status_code == 401
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
        assert response["Content-Type"] == "application/problem+json"
    # Counted four times (in Redis, then rolled up), sampled once in detail.
    assert services.permission_denials_roll_up(
        before=timezone.now() + timedelta(minutes=2)
    )
    total = PermissionDenialMinute.objects.filter(status_code=401).aggregate(
        n=Sum("count")
    )
    assert total["n"] == 4
    assert 1 <= PermissionDenial.objects.filter(status_code=401).count() <= 2
    assert (
        client.post(
            "/t/ci", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}"
        ).status_code
        == 200
    )


def test_a_revoked_token_stops_working(client, domain):
    issued = _token(domain, "ci")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.plaintext}"}
    assert client.get("/t/ci", **auth).status_code == 200
    services.ingest_token_revoke(token=issued.token)
    response = client.get("/t/ci", **auth)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_token_without_the_scope_is_403_and_counted_on_its_domain(client, domain):
    issued = _token(domain, "slo", "incidents")
    response = client.post("/t/ci", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert 'error="insufficient_scope", scope="ci"' in response["WWW-Authenticate"]
    assert "'ci' scope" in response.json()["detail"]
    denial = PermissionDenial.objects.get()
    assert (denial.status_code, denial.domain, denial.action) == (
        403,
        domain,
        "ingest.ci",
    )
    # The same token is fine where no particular scope is required.
    ok = client.get("/t/any", HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert ok.status_code == 200 and ok.json() == {"domain": "payments"}


def test_a_token_only_ever_names_its_own_domain(client, domain):
    other = DomainFactory(slug="search")
    mine, theirs = _token(domain, "ci"), _token(other, "ci")
    assert (
        client.get("/t/ci", HTTP_AUTHORIZATION=f"Bearer {mine.plaintext}").json()[
            "domain"
        ]
        == "payments"
    )
    assert (
        client.get("/t/ci", HTTP_AUTHORIZATION=f"Bearer {theirs.plaintext}").json()[
            "domain"
        ]
        == "search"
    )


def test_an_unknown_scope_is_refused_when_the_view_is_declared():
    with pytest.raises(ValueError):
        TokenAuth(scope="everything")
