"""GET/PUT /api/v1/budgets: a team keeps its budgets in its repository and
applies them from CI with a `budgets` token (reading takes `ci`)."""

import json

import pytest

from dashboard.domains.services import (
    ingest_token_create,
    ingest_token_revoke,
    membership_remove,
)
from dashboard.models import AuditEntry, IngestToken, PermissionDenial
from pipelines.models import PerfBudget, QueryPlanBudget
from tests.factories import DomainFactory, UserFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/budgets"

DOCUMENT = {
    "perf": [
        {"scenario": "checkout", "p95_ms_max": 250, "max_regression_pct": 10},
        {
            "service": "api",
            "scenario": "",
            "p95_ms_max": 400.5,
            "memory_mb_max": 512,
        },
    ],
    "query_plans": [
        {
            "query_name": "orders_by_customer",
            "max_total_cost": 5000,
            "no_seq_scan_tables": ["orders", "customers", "orders"],
        }
    ],
}


@pytest.fixture
def domain():
    return DomainFactory(slug="paiements")


def auth(domain, scopes=("ci", "budgets")):
    token = ingest_token_create(domain=domain, name="ci", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}


def put(client, headers, body):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.put(URL, data=data, content_type="application/json", **headers)


def test_put_then_get_round_trips_the_document(client, domain):
    headers = auth(domain)
    response = put(client, headers, DOCUMENT)
    assert response.status_code == 200
    got = client.get(URL, **headers).json()
    assert got["domain"] == "paiements"
    assert got["perf"] == [
        {
            "service": "",
            "scenario": "checkout",
            "p95_ms_max": 250.0,
            "memory_mb_max": None,
            "max_regression_pct": 10.0,
        },
        {
            "service": "api",
            "scenario": "",
            "p95_ms_max": 400.5,
            "memory_mb_max": 512.0,
            "max_regression_pct": None,
        },
    ]
    assert got["query_plans"] == [
        {
            "service": "",
            "query_name": "orders_by_customer",
            "max_total_cost": 5000.0,
            "no_seq_scan_tables": ["customers", "orders"],
        }
    ]
    assert response.json() == got


def test_put_replaces_every_budget_and_is_audited(client, domain):
    headers = auth(domain)
    put(client, headers, DOCUMENT)
    put(client, headers, {"perf": [{"p95_ms_max": 100}]})
    assert list(PerfBudget.objects.values_list("scenario", "p95_ms_max")) == [
        ("", 100.0)
    ]
    assert not QueryPlanBudget.objects.exists()
    entries = AuditEntry.objects.filter(action="budgets.replace", domain=domain)
    assert entries.count() == 2
    assert entries.first().after == {
        "perf": [
            {
                "service": "",
                "scenario": "",
                "p95_ms_max": 100.0,
                "memory_mb_max": None,
                "max_regression_pct": None,
            }
        ],
        "query_plans": [],
    }
    assert entries.first().actor_label.startswith("token ")


def test_putting_the_same_document_again_writes_nothing(client, domain):
    headers = auth(domain)
    put(client, headers, DOCUMENT)
    put(client, headers, DOCUMENT)
    assert AuditEntry.objects.filter(action="budgets.replace").count() == 1


def test_budgets_are_per_domain(client, domain):
    put(client, auth(domain), DOCUMENT)
    other = DomainFactory()
    assert client.get(URL, **auth(other)).json() == {
        "domain": other.slug,
        "perf": [],
        "query_plans": [],
    }
    assert PerfBudget.objects.filter(domain=other).count() == 0


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([], "The body must be a JSON object"),
        ({"perf": {}}, "perf must be a list of budgets."),
        ({"budgets": []}, "Unknown top-level field 'budgets'"),
        ({"perf": [{"p95": 3}]}, "perf[0] has unknown field 'p95'"),
        ({"perf": [{"p95_ms_max": -1}]}, "perf[0].p95_ms_max must be a number ≥ 0"),
        ({"perf": [{"p95_ms_max": "fast"}]}, "perf[0].p95_ms_max must be a number"),
        ({"perf": [{"p95_ms_max": True}]}, "perf[0].p95_ms_max must be a number"),
        ({"perf": [{"scenario": "x"}]}, "perf[0] sets no limit"),
        (
            {"perf": [{"p95_ms_max": 1}, {"p95_ms_max": 2}]},
            "perf[1] repeats service '' and scenario '' of perf[0].",
        ),
        (
            {"perf": [{"service": "Bad Service", "p95_ms_max": 1}]},
            "perf[0].service 'Bad Service' is not valid",
        ),
        (
            {"query_plans": [{"query_name": "q", "no_seq_scan_tables": "orders"}]},
            "query_plans[0].no_seq_scan_tables must be a list of table names",
        ),
        (
            {"query_plans": [{"query_name": "q"}]},
            "query_plans[0] sets no limit",
        ),
        (
            {"query_plans": [{"query_name": 7, "max_total_cost": 1}]},
            "query_plans[0].query_name must be a string",
        ),
    ],
)
def test_an_invalid_document_is_a_422_saying_where(client, domain, body, detail):
    headers = auth(domain)
    put(client, headers, DOCUMENT)
    response = put(client, headers, body)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert PerfBudget.objects.filter(domain=domain).count() == 2  # nothing changed


def test_a_body_that_is_not_json_is_a_400(client, domain):
    response = put(client, auth(domain), "{perf: nope")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not JSON")


def test_no_token_is_a_401(client, domain):
    response = client.get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    response = put(client, {}, DOCUMENT)
    assert response.status_code == 401
    assert not PerfBudget.objects.exists()


def test_a_revoked_token_is_a_401(client, domain):
    token = ingest_token_create(domain=domain, name="old", scopes=["ci"])
    ingest_token_revoke(token=token.token)
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    assert response.status_code == 401


def test_a_token_without_the_ci_scope_is_a_403_and_counted(client, domain):
    response = client.get(URL, **auth(domain, scopes=("slo",)))
    assert response.status_code == 403
    assert "'ci'" in response.json()["detail"]
    response = put(client, auth(domain, scopes=("slo",)), DOCUMENT)
    assert response.status_code == 403
    assert "'budgets'" in response.json()["detail"]
    assert not PerfBudget.objects.exists()
    assert PermissionDenial.objects.filter(status_code=403, domain=domain).count() == 2


def test_a_ci_token_reads_budgets_but_cannot_replace_them(client, domain):
    """Even an engineer's `ci` token: replacing budgets is a domain admin's act."""
    engineer = UserFactory()
    member(engineer, domain, "engineer")
    token = ingest_token_create(domain=domain, name="ci", scopes=["ci"], actor=engineer)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}
    assert client.get(URL, **headers).status_code == 200
    response = put(client, headers, DOCUMENT)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert "'budgets' scope" in response.json()["detail"]
    assert not PerfBudget.objects.exists()
    assert PermissionDenial.objects.filter(
        status_code=403, domain=domain, action="ingest.budgets"
    ).exists()


def test_a_demoted_admins_budgets_token_stops_replacing_budgets(client, domain):
    admin = UserFactory()
    member(admin, domain, "admin")
    token = ingest_token_create(
        domain=domain, name="budgets", scopes=["ci", "budgets"], actor=admin
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}
    assert put(client, headers, DOCUMENT).status_code == 200

    member(admin, domain, "engineer")  # demoted: no manage_budgets any more
    response = put(client, headers, {"perf": [{"p95_ms_max": 1}]})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    detail = response.json()["detail"]
    assert "'manage_budgets'" in detail and admin.get_username() in detail
    assert PerfBudget.objects.count() == 2  # the first document, untouched
    denial = PermissionDenial.objects.get(status_code=403, action="ingest.budgets")
    assert (denial.domain, denial.user) == (domain, admin)
    # What the engineer role still allows keeps working.
    assert client.get(URL, **headers).status_code == 200

    member(admin, domain, "admin")  # promoted again: the token works again
    assert put(client, headers, DOCUMENT).status_code == 200


def test_a_removed_members_token_stops_working(client, domain):
    engineer = UserFactory()
    membership = member(engineer, domain, "engineer")
    token = ingest_token_create(domain=domain, name="ci", scopes=["ci"], actor=engineer)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}
    assert client.get(URL, **headers).status_code == 200
    membership_remove(membership=membership)
    assert client.get(URL, **headers).status_code == 403


def test_a_deleted_creators_token_grants_nothing(client, domain):
    """created_by becomes NULL when the user is deleted: that must not turn the
    token into an operator's one."""
    admin = UserFactory()
    member(admin, domain, "admin")
    token = ingest_token_create(
        domain=domain, name="budgets", scopes=["ci", "budgets"], actor=admin
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token.plaintext}"}
    assert put(client, headers, DOCUMENT).status_code == 200
    admin.delete()
    response = put(client, headers, DOCUMENT)
    assert response.status_code == 403
    assert "(a deleted user)" in response.json()["detail"]
    assert client.get(URL, **headers).status_code == 403


def test_an_operator_token_may_carry_budgets_and_records_who(domain):
    from django.core.management import call_command

    call_command("create_ingest_token", domain.slug, "--scope", "budgets")
    entry = AuditEntry.objects.get(action="token.create")
    assert entry.actor is None and entry.actor_label.startswith("operator ")
    assert entry.after["scopes"] == ["budgets"]
    token = IngestToken.objects.get()
    assert token.created_by is None
    assert token.minted_by_operator == entry.actor_label


def test_other_methods_are_refused_with_allow(client, domain):
    response = client.post(
        URL, data="{}", content_type="application/json", **auth(domain)
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET, PUT"


def test_get_is_two_queries_whatever_the_number_of_budgets(client, domain):
    from tests.support.queries import assert_constant_queries

    headers = auth(domain)
    client.get(URL, **headers)  # token last-used write happens once a minute
    counter = iter(range(10_000))

    def make(n):
        for _ in range(n):
            i = next(counter)
            PerfBudget.objects.create(domain=domain, scenario=f"s{i}", p95_ms_max=i)
            QueryPlanBudget.objects.create(
                domain=domain, query_name=f"q{i}", max_total_cost=i
            )

    count = assert_constant_queries(make, lambda: client.get(URL, **headers))
    assert count == 3  # token, perf budgets, plan budgets
