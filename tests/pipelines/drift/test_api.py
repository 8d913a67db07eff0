"""POST /api/v1/schema/entity-graphs and /snapshots: typed, idempotent per
(target, commit), a 422 listing every problem, scope `schema`, domain-bound."""

import copy

import pytest

from dashboard.domains import services as dashboard_services
from pipelines.drift.models import SchemaDocument, SchemaDrift
from pipelines.drift.services import checks
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.conftest import ApiClient
from tests.pipelines.drift.conftest import LIVE, graph_with
from tests.pipelines.factories import sha_for

pytestmark = pytest.mark.django_db

GRAPHS = "/api/v1/schema/entity-graphs"
SNAPSHOTS = "/api/v1/schema/snapshots"
SHA = sha_for("graph commit")


def body(entities_doc, *, target="shop-db", sha=SHA, repository="shop/app"):
    return {
        "repository": repository,
        "commit_sha": sha,
        "target": target,
        **entities_doc,
    }


@pytest.fixture
def api(client, schema_token, target):
    return ApiClient(client, schema_token)


def test_a_graph_is_stored_once_per_target_and_commit(api, target):
    first = api.post(GRAPHS, body(graph_with()))
    assert first.status_code == 201, first.content
    assert first.json()["created"] is True
    assert first.json()["entities"] == 3
    assert first.json()["drift_url"].endswith("/d/catalogue/drift/shop-db/")
    again = api.post(GRAPHS, body(graph_with()))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert SchemaDocument.objects.filter(target=target, source="graph").count() == 1


def test_graph_and_snapshot_make_a_drift(
    api, target, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        assert api.post(SNAPSHOTS, body(LIVE)).status_code == 201
        assert api.post(GRAPHS, body(graph_with(tightening=True))).status_code == 201
    drift = checks.drift_check(target_id=target.pk)
    assert drift.risk == "tightening"
    assert (drift.additive, drift.tightening, drift.destructive) == (3, 1, 0)
    answer = api.get("/api/v1/schema/targets/shop-db/drift")
    assert answer.status_code == 200
    assert answer.json()["fingerprint"] == drift.fingerprint
    assert "make customers.nickname NOT NULL" in [
        c["summary"] for c in answer.json()["changes"]
    ]


def test_422_lists_every_problem(api):
    graph = copy.deepcopy(LIVE)
    graph["entities"][0]["fields"][0]["type"] = "money"
    graph["entities"][0]["fields"].append({"name": "email", "type": "text"})
    graph["entities"][1]["foreign_keys"][0]["references"]["entity"] = "clients"
    graph["entities"].append(copy.deepcopy(graph["entities"][1]))
    answer = api.post(GRAPHS, body(graph))
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    details = [e["detail"] for e in answer.json()["errors"]]
    assert any("unknown type 'money'" in d for d in details)
    assert any("duplicate field name 'email'" in d for d in details)
    assert any("duplicate entity name 'orders'" in d for d in details)
    assert any("unknown entity 'clients' (dangling)" in d for d in details)
    assert not SchemaDocument.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(commit_sha="not-a-sha"), "commit_sha"),
        (lambda b: b["entities"][0]["fields"][0].update(name="a\x00b"), "name"),
        (
            lambda b: b["entities"][0]["fields"][0].update(default=float("inf")),
            "default",
        ),
        (lambda b: b["entities"][0].update(fields=[]), "fields"),
    ],
)
def test_bad_shapes_are_422_naming_the_field(api, mutate, field):
    document = body(copy.deepcopy(LIVE))
    mutate(document)
    import json

    answer = api.client.post(
        GRAPHS,
        json.dumps(document, allow_nan=True),
        content_type="application/json",
        headers=api.headers(),
    )
    assert answer.status_code in (400, 422), answer.content
    assert field in answer.content.decode()


def test_unknown_target_and_unmapped_repository(api):
    answer = api.post(GRAPHS, body(LIVE, target="nope"))
    assert answer.status_code == 422
    assert "add_schema_target" in answer.json()["detail"]
    answer = api.post(GRAPHS, body(LIVE, repository="other/repo"))
    assert answer.status_code == 422
    assert "not mapped" in answer.json()["detail"]


def test_another_domains_target_is_not_reachable(client, target):
    other = DomainFactory(slug="elsewhere")
    RepositoryFactory(domain=other, full_name="shop/other")
    token = dashboard_services.ingest_token_create(
        domain=other, name="s", scopes=["schema"]
    ).plaintext
    answer = ApiClient(client, token).post(GRAPHS, body(LIVE, repository="shop/other"))
    assert answer.status_code == 422
    assert not SchemaDocument.objects.exists()


def test_the_schema_scope_is_required(client, drift_domain, target):
    token = dashboard_services.ingest_token_create(
        domain=drift_domain, name="ci", scopes=["ci"]
    ).plaintext
    answer = ApiClient(client, token).post(GRAPHS, body(LIVE))
    assert answer.status_code == 403
    assert not SchemaDrift.objects.exists()
