"""Pages: the domain's targets, one target's drift (changes by risk, the schemas
side by side, the SQL, proofs with the failing step, the pull request), the
on-demand introspection (engineers), the dashboard panel; constant queries."""

import pytest
from django.utils import timezone

from pipelines.drift.models import DriftProof, DriftPullRequest, SchemaTarget
from pipelines.drift.panels import build as panel_build
from pipelines.drift.services import checks, documents
from tests.factories import UserFactory, member
from tests.pipelines.drift.conftest import LIVE, graph_with
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db
PAGE = "/d/catalogue/drift/shop-db/"


def login(client, domain, role):
    user = UserFactory()
    if role:
        member(user, domain, role)
    client.force_login(user)
    return user


@pytest.fixture
def drift(target, django_capture_on_commit_callbacks):
    repo = target.domain.repositories.get()
    with django_capture_on_commit_callbacks(execute=False):
        documents.schema_document_record(
            target=target,
            source="snapshot",
            document=LIVE,
            repository=repo,
            commit_sha="a" * 40,
        )
        documents.schema_document_record(
            target=target,
            source="graph",
            document=graph_with(tightening=True, destructive=True),
            repository=repo,
            commit_sha="b" * 40,
        )
        return checks.drift_check(target_id=target.pk)


def failed_proof(target, fingerprint):
    return DriftProof.objects.create(
        domain=target.domain,
        target=target,
        fingerprint=fingerprint,
        state="failed",
        failed_step="up",
        started_at=timezone.now(),
        finished_at=timezone.now(),
        steps=[
            {"step": "create database", "ok": True, "ms": 12.5, "detail": "x"},
            {
                "step": "up",
                "ok": False,
                "ms": 3.1,
                "detail": "value too long for type character varying(3)",
            },
        ],
    )


def test_the_drift_page_shows_changes_schemas_sql_and_the_failed_step(
    client, drift, target
):
    failed_proof(target, drift.fingerprint)
    login(client, target.domain, "viewer")
    page = client.get(PAGE).content.decode()
    assert "5 change(s)" in page and "worst <strong>destructive</strong>" in page
    assert "make customers.nickname NOT NULL" in page
    assert "Failed at step <strong>up</strong>" in page
    assert "value too long" in page
    assert "nickname text NOT NULL" in page  # graph side
    assert "legacy_code integer" in page  # live side
    assert "CHECK (&quot;nickname&quot; IS NOT NULL) NOT VALID" in page
    assert "-- ALTER TABLE &quot;public&quot;.&quot;customers&quot; DROP COLUMN" in page
    assert "Read the live schema now" not in page  # viewers cannot trigger


def test_engineers_read_the_live_schema_on_demand(
    client, target, django_capture_on_commit_callbacks
):
    SchemaTarget.objects.filter(pk=target.pk).update(dsn_env="SHOP_DSN")
    login(client, target.domain, "engineer")
    assert "Read the live schema now" in client.get(PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(PAGE + "introspect")
    assert response.status_code == 302
    assert len(callbacks) == 1


def test_viewers_may_not_trigger_introspection(client, target):
    login(client, target.domain, "viewer")
    assert client.post(PAGE + "introspect").status_code == 403


def test_outsiders_see_nothing(client, drift):
    login(client, drift.domain, None)
    assert client.get(PAGE).status_code == 404
    assert client.get("/d/catalogue/drift/").status_code == 404


def test_the_panel_shows_each_target(drift, target):
    DriftPullRequest.objects.create(
        domain=target.domain,
        target=target,
        repository=target.domain.repositories.get(),
        branch="controlplane/drift/shop-db-x",
        opened_fingerprint="x",
        fingerprint="x",
        number=7,
        url="https://github.example/shop/app/pull/7",
        state="open",
    )
    [row] = panel_build(target.domain_id, None)["rows"]
    assert (row["name"], row["tightening"], row["destructive"]) == ("shop-db", 1, 1)
    assert row["pull_number"] == 7 and row["pull_state"] == "open"
    assert row["proof"] == "running"


def test_the_dashboard_has_the_drift_panel(client, drift):
    login(client, drift.domain, "viewer")
    response = client.get("/d/catalogue/dashboard/drift/")
    assert response.status_code == 200
    assert "shop-db" in response.content.decode()


def test_page_query_counts_are_constant(client, drift, target):
    login(client, target.domain, "viewer")
    client.get(PAGE)
    counter = iter(range(1000))

    def make(n):
        for _ in range(n):
            failed_proof(target, f"{next(counter):064d}")
            SchemaTarget.objects.create(domain=target.domain, name=f"t{next(counter)}")

    assert_constant_queries(make, lambda: client.get(PAGE))
    assert_constant_queries(make, lambda: client.get("/d/catalogue/drift/"))


def test_side_by_side_marks_the_tables_that_differ(client, drift, target):
    login(client, target.domain, "viewer")
    page = client.get(PAGE).content.decode()
    # customers and orders differ; refunds is only in the graph.
    assert page.count('class="differs"') == 3
