"""The whole flow in a real Celery worker: a target introspected read-only (the
beat's task) from a DSN only the worker's environment holds, an entity graph
posted through the API, the drift checked, proven on a throwaway database, one
pull request opened on the fake GitHub and the commit status posted. The DSN
appears nowhere: not in the database, the logs or the pages."""

import psycopg
import pytest
from django.db import connection

from config.celery import app
from pipelines.drift.models import (
    DriftProof,
    DriftPullRequest,
    SchemaDocument,
    SchemaDrift,
    SchemaTarget,
)
from pipelines.drift.services import documents
from pipelines.drift.services.proofs import execute_steps
from pipelines.drift.sql import build_steps
from tests.pipelines.conftest import ApiClient
from tests.pipelines.drift.conftest import LIVE, graph_with, normal
from tests.platform.test_worker import wait_for

pytest_plugins = ["tests.fakes.plugin"]
pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]
REPO = "shop/app"
PASSWORD = "s3cret-Pässword-never-shown"


@pytest.fixture
def live_dsn(scratch_db):
    """The live database: LIVE built in a scratch database; its DSN carries a
    password (ignored by the test server's trust auth) that must never leak."""
    with psycopg.connect(scratch_db, autocommit=True) as conn:
        execute_steps(conn, build_steps("public", normal(LIVE)))
    return scratch_db.replace("user=postgres", f"user=postgres password='{PASSWORD}'")


@pytest.fixture
def drift_worker(transactional_db, worker_log, fake_github, settings, live_dsn):
    from tests.support.worker import WorkerProcess, purge_broker

    purge_broker()
    process = WorkerProcess(
        worker_log,
        extra_env={
            "GITHUB_API_URL": fake_github.url,
            "GITHUB_TOKEN": fake_github.token,
            "PUBLIC_BASE_URL": "https://cp.example.org",
            "SHOP_DB_DSN": live_dsn,
            "BROKEN_DB_DSN": f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/nowhere",
        },
    ).start()
    yield process
    process.stop()


def _everything_stored() -> str:
    with connection.cursor() as cursor:
        rows = []
        for model in (
            SchemaTarget,
            SchemaDocument,
            SchemaDrift,
            DriftProof,
            DriftPullRequest,
        ):
            cursor.execute(f"SELECT row_to_json(t)::text FROM {model._meta.db_table} t")  # noqa: S608
            rows += [r[0] for r in cursor.fetchall()]
        cursor.execute(
            "SELECT coalesce(string_agg(row_to_json(t)::text, ''), '') FROM dashboard_deadletter t"
        )
        rows.append(cursor.fetchone()[0])
        cursor.execute(
            "SELECT coalesce(string_agg(row_to_json(t)::text, ''), '') FROM dashboard_auditentry t"
        )
        rows.append(cursor.fetchone()[0])
    return "\n".join(rows)


def test_introspect_post_prove_open_and_post_status(
    drift_domain, schema_token, client, fake_github, drift_worker, worker_log
):
    target = documents.schema_target_add(
        domain=drift_domain, name="shop-db", dsn_env="SHOP_DB_DSN"
    )
    broken = documents.schema_target_add(
        domain=drift_domain, name="broken-db", dsn_env="BROKEN_DB_DSN"
    )
    graph_sha = fake_github.push(REPO, "main", {"schema.json": "{}"}, message="codegen")

    app.send_task("pipelines.drift_introspect_all")  # what the beat sends
    wait_for(
        lambda: SchemaDocument.objects.filter(
            target=target, source="introspection"
        ).exists(),
        40,
        "the live schema introspected",
        drift_worker,
    )
    live = SchemaDocument.objects.get(target=target, source="introspection")
    assert [e["name"] for e in live.schema["entities"]] == ["customers", "orders"]
    wait_for(
        lambda: SchemaTarget.objects.get(pk=broken.pk).introspect_error,
        40,
        "the broken target's error",
        drift_worker,
    )

    answer = ApiClient(client, schema_token).post(
        "/api/v1/schema/entity-graphs",
        {
            "repository": REPO,
            "commit_sha": graph_sha,
            "target": "shop-db",
            **graph_with(),
        },
    )
    assert answer.status_code == 201, answer.content

    pull = wait_for(
        lambda: (
            DriftPullRequest.objects.filter(target=target).exclude(number=None).first()
        ),
        120,
        "the pull request",
        drift_worker,
    )
    [opened] = fake_github.pulls(REPO)
    assert opened["number"] == pull.number and opened["state"] == "open"
    # At least once: a redelivered proof task finds the proof done.
    [proof] = DriftProof.objects.filter(target=target)
    assert proof.state == "passed" and len(proof.steps) == 8
    # First "proving the migration", then the pull request: the last one counts.
    posted = wait_for(
        lambda: [
            s
            for s in fake_github.statuses(REPO, graph_sha)
            if f"migration PR #{pull.number}" in s["description"]
        ],
        60,
        "the status naming the pull request",
        drift_worker,
    )[-1]
    assert posted["context"] == "controlplane/schema-drift"
    assert posted["state"] == "failure" and posted["target_url"] == opened["html_url"]
    assert fake_github.statuses(REPO, graph_sha)[-1] == posted

    # The DSN is nowhere: database, worker logs, pages.
    error = SchemaTarget.objects.get(pk=broken.pk).introspect_error
    assert "Introspection of broken-db failed" in error
    assert PASSWORD not in error
    assert PASSWORD not in _everything_stored()
    assert PASSWORD not in worker_log.read_text()
    client.force_login(_staff())
    page = client.get(f"/d/{drift_domain.slug}/drift/broken-db/")
    assert page.status_code == 200 and PASSWORD not in page.content.decode()
    page = client.get(f"/d/{drift_domain.slug}/drift/shop-db/")
    assert f"#{pull.number}" in page.content.decode()


def _staff():
    from tests.factories import UserFactory

    return UserFactory(username="drift-staff", is_staff=True, is_superuser=True)


def test_github_refusing_the_pull_request_is_a_dead_letter_with_its_reason(
    drift_domain, schema_token, client, fake_github, drift_worker
):
    from dashboard.models import DeadLetter

    documents.schema_target_add(domain=drift_domain, name="shop-db")
    graph_sha = fake_github.push(REPO, "main", {"schema.json": "{}"}, message="codegen")
    api = ApiClient(client, schema_token)
    body = {"repository": REPO, "commit_sha": "c" * 40, "target": "shop-db", **LIVE}
    assert api.post("/api/v1/schema/snapshots", body).status_code == 201
    # A 502 first (retried), then a 422 on opening the pull request (for good).
    fake_github.fail_next("bad_gateway", path_contains="/git/")
    fake_github.fail_next("validation", path_contains="/pulls")
    body = {
        "repository": REPO,
        "commit_sha": graph_sha,
        "target": "shop-db",
        **graph_with(),
    }
    assert api.post("/api/v1/schema/entity-graphs", body).status_code == 201

    letter = wait_for(
        lambda: DeadLetter.objects.filter(task_name="github.drift_pull_sync").first(),
        90,
        "the dead letter",
        drift_worker,
    )
    assert "422" in letter.error and "Validation Failed" in letter.error
    assert letter.domain_id == drift_domain.pk
    assert letter.attempts == 2  # the 502 was retried once
    assert fake_github.pulls(REPO) == []
