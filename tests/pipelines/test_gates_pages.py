"""Pages: budgets (read for the domain's members, edit for domain admins), flaky
tests, a commit's gates; query counts constant in the number of rows."""

import json

import pytest
from django.utils import timezone

from pipelines.gates.services.budgets import budgets_replace
from pipelines.models import GateVerdict, PerfBudget, QueryPlanBudget
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member
from tests.pipelines.factories import sha_for
from tests.pipelines.test_gates_api import make_flaky
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def domain():
    return DomainFactory(slug="paiements")


def login(client, domain, role):
    user = UserFactory()
    if role:
        member(user, domain, role)
    client.force_login(user)
    return user


# --- budgets ---------------------------------------------------------------------
def test_a_viewer_reads_the_budgets_without_an_editor(client, domain):
    budgets_replace(
        domain=domain,
        document={
            "perf": [{"scenario": "checkout", "p95_ms_max": 250}],
            "query_plans": [
                {"query_name": "orders_by_customer", "no_seq_scan_tables": ["orders"]}
            ],
        },
    )
    login(client, domain, "viewer")
    response = client.get("/d/paiements/budgets/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "checkout" in html and "250.0" in html
    assert "orders_by_customer" in html and "orders" in html
    assert "Save budgets" not in html


def test_a_domain_admin_replaces_the_budgets_from_the_page(client, domain):
    admin = login(client, domain, "admin")
    page = client.get("/d/paiements/budgets/")
    assert "Save budgets" in page.content.decode()
    document = {"perf": [{"p95_ms_max": 300}], "query_plans": []}
    response = client.post(
        "/d/paiements/budgets/", {"document": json.dumps(document)}, follow=True
    )
    assert response.status_code == 200
    assert "Budgets saved" in response.content.decode()
    budget = PerfBudget.objects.get(domain=domain)
    assert budget.p95_ms_max == 300 and budget.updated_by == admin


def test_an_invalid_document_from_the_page_is_shown_with_its_reason(client, domain):
    login(client, domain, "admin")
    response = client.post(
        "/d/paiements/budgets/",
        {"document": '{"perf": [{"p95_ms_max": -5}]}'},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "perf[0].p95_ms_max must be a number ≥ 0" in html
    assert "<html" not in html  # the editor fragment, not the page
    assert not PerfBudget.objects.exists()


def test_a_valid_htmx_save_redirects_the_browser(client, domain):
    login(client, domain, "admin")
    response = client.post(
        "/d/paiements/budgets/",
        {"document": '{"perf": [{"p95_ms_max": 5}]}'},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/d/paiements/budgets/"


def test_an_admin_sets_one_budget_then_changes_it(client, domain):
    login(client, domain, "admin")
    url = "/d/paiements/budgets/perf/"
    form = {"service": "", "scenario": "checkout", "p95_ms_max": "250"}
    assert client.post(url, form).status_code == 302
    form |= {"p95_ms_max": "300", "max_regression_pct": "10"}
    assert client.post(url, form).status_code == 302
    assert list(
        PerfBudget.objects.values_list("scenario", "p95_ms_max", "max_regression_pct")
    ) == [("checkout", 300.0, 10.0)]


def test_an_admin_sets_a_query_plan_budget_with_tables(client, domain):
    login(client, domain, "admin")
    response = client.post(
        "/d/paiements/budgets/query-plans/",
        {"query_name": "orders_by_customer", "no_seq_scan_tables": "orders, items"},
    )
    assert response.status_code == 302
    budget = QueryPlanBudget.objects.get(domain=domain)
    assert budget.no_seq_scan_tables == ["items", "orders"]
    assert budget.max_total_cost is None


def test_a_budget_without_a_limit_is_refused_with_the_reason(client, domain):
    login(client, domain, "admin")
    response = client.post("/d/paiements/budgets/perf/", {"scenario": "checkout"})
    assert response.status_code == 422
    assert "This budget: sets no limit" in response.content.decode()
    response = client.post("/d/paiements/budgets/perf/", {"p95_ms_max": "-1"})
    assert response.status_code == 422
    assert not PerfBudget.objects.exists()


def test_an_admin_removes_one_budget(client, domain):
    budgets_replace(
        domain=domain,
        document={"perf": [{"p95_ms_max": 1}, {"scenario": "s", "p95_ms_max": 2}]},
    )
    login(client, domain, "admin")
    response = client.post(
        "/d/paiements/budgets/perf/remove", {"service": "", "name": "s"}
    )
    assert response.status_code == 302
    assert list(PerfBudget.objects.values_list("scenario", flat=True)) == [""]


@pytest.mark.parametrize(
    "url", ["/d/paiements/budgets/perf/", "/d/paiements/budgets/perf/remove"]
)
def test_engineers_may_not_set_or_remove_single_budgets(client, domain, url):
    budgets_replace(domain=domain, document={"perf": [{"p95_ms_max": 1}]})
    login(client, domain, "engineer")
    response = client.post(url, {"p95_ms_max": "5", "service": "", "name": ""})
    assert response.status_code == 403  # they see the domain: refused, not hidden
    assert list(PerfBudget.objects.values_list("p95_ms_max", flat=True)) == [1.0]


@pytest.mark.parametrize("role", ["viewer", "engineer", "reviewer"])
def test_only_domain_admins_may_change_budgets(client, domain, role):
    login(client, domain, role)
    response = client.post(
        "/d/paiements/budgets/", {"document": '{"perf": [{"p95_ms_max": 5}]}'}
    )
    assert response.status_code == 403
    assert not PerfBudget.objects.exists()


def test_outsiders_do_not_see_the_budgets(client, domain):
    login(client, domain, None)
    assert client.get("/d/paiements/budgets/").status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, domain):
    response = client.get("/d/paiements/budgets/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_budgets_page_query_count_is_constant(client, domain):
    login(client, domain, "admin")
    client.get("/d/paiements/budgets/")
    counter = iter(range(10_000))

    def make(n):
        for _ in range(n):
            i = next(counter)
            PerfBudget.objects.create(domain=domain, scenario=f"s{i}", p95_ms_max=i)
            QueryPlanBudget.objects.create(
                domain=domain, query_name=f"q{i}", no_seq_scan_tables=["t"]
            )

    assert_constant_queries(make, lambda: client.get("/d/paiements/budgets/"))


# --- flaky tests ---------------------------------------------------------------------
def test_the_flaky_page_lists_most_recent_first(client, domain):
    repo = RepositoryFactory(domain=domain)
    make_flaky(repo, 3)
    login(client, domain, "viewer")
    html = client.get("/d/paiements/flaky-tests/").content.decode()
    assert html.index("test_2") < html.index("test_1") < html.index("test_0")


def test_the_flaky_page_pages_with_htmx_fragments(client, domain):
    repo = RepositoryFactory(domain=domain)
    make_flaky(repo, 3)
    login(client, domain, "viewer")
    first = client.get("/d/paiements/flaky-tests/?page_size=2").content.decode()
    assert "test_0" not in first and 'hx-get="?cursor=' in first
    cursor = first.split('hx-get="?cursor=')[1].split('"')[0]
    more = client.get(
        f"/d/paiements/flaky-tests/?page_size=2&cursor={cursor}",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "test_0" in more and "<html" not in more


def test_the_flaky_page_is_empty_for_another_domains_tests(client, domain):
    make_flaky(RepositoryFactory(), 2)
    login(client, domain, "viewer")
    html = client.get("/d/paiements/flaky-tests/").content.decode()
    assert "No flaky tests" in html


def test_flaky_page_query_count_is_constant(client, domain):
    repo = RepositoryFactory(domain=domain)
    login(client, domain, "viewer")
    client.get("/d/paiements/flaky-tests/")
    counter = iter(range(0, 10_000, 100))
    assert_constant_queries(
        lambda n: make_flaky(repo, n, next(counter)),
        lambda: client.get("/d/paiements/flaky-tests/"),
    )


# --- a commit's gates -------------------------------------------------------------------
def make_verdicts(repo, sha, n=1):
    now = timezone.now()
    for context in ["controlplane/tests", "controlplane/perf"][:n]:
        GateVerdict.objects.create(
            domain=repo.domain,
            repository=repo,
            sha=sha,
            context=context,
            state="failure",
            description=f"{context} says no",
            evaluated_at=now,
            changed_at=now,
        )


def test_the_commit_page_shows_the_verdicts(client, domain):
    repo = RepositoryFactory(domain=domain, full_name="acme/pay")
    sha = sha_for("page")
    make_verdicts(repo, sha, 2)
    login(client, domain, "viewer")
    html = client.get(
        f"/d/paiements/commits/{sha}/?repository=acme/pay"
    ).content.decode()
    assert "controlplane/tests says no" in html and "controlplane/perf says no" in html
    assert "posting…" in html


def test_the_commit_page_shows_how_a_verdict_changed(client, domain):
    from pipelines.gates.services.gates import Verdict, gate_verdicts_store

    repo = RepositoryFactory(domain=domain, full_name="acme/pay")
    sha = sha_for("history")
    for state, text in [
        ("pending", "waiting for 1 JUnit report to be read"),
        ("failure", "1 of 9 tests failed"),
    ]:
        gate_verdicts_store(
            repository=repo,
            sha=sha,
            verdicts=[Verdict("controlplane/tests", state, text)],
        )
    login(client, domain, "viewer")
    html = client.get(f"/d/paiements/commits/{sha}/").content.decode()
    history = html.split('id="history-h"')[1]
    assert history.index("Failure: 1 of 9 tests failed") < history.index(
        "Pending: waiting for 1 JUnit report to be read"
    )


def test_the_commit_page_hides_other_domains(client, domain):
    repo = RepositoryFactory()
    sha = sha_for("hidden")
    make_verdicts(repo, sha)
    login(client, domain, "viewer")
    html = client.get(f"/d/paiements/commits/{sha}/").content.decode()
    assert "says no" not in html
    assert client.get(f"/d/{repo.domain.slug}/commits/{sha}/").status_code == 404


def test_commit_page_query_count_is_constant(client, domain):
    sha = sha_for("count")
    login(client, domain, "viewer")
    client.get(f"/d/paiements/commits/{sha}/")
    assert_constant_queries(
        lambda n: [
            make_verdicts(RepositoryFactory(domain=domain), sha, 2) for _ in range(n)
        ],
        lambda: client.get(f"/d/paiements/commits/{sha}/"),
    )
