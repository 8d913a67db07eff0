"""The pins API: the public JSON Schema, a pin's current versions for the
application's router, and reviews by a signed-in reviewer or a `reviews`
token — with the refusals a person can act on."""

import pytest
from django.test import Client
from django.urls import reverse

from dashboard.domains.services import ingest_token_create
from dashboard.models import PermissionDenial
from pipelines.pins.models import ProposalPin, Review
from pipelines.pins.spec import JSON_SCHEMA
from tests.factories import DomainFactory, RepositoryFactory
from tests.pins.factories import pin_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(domain):
    repository = RepositoryFactory(domain=domain, full_name="acme/summaries")
    return pin_world(domain, repository, pin_id="checkout-summary")


def token(domain, scopes, actor=None) -> dict:
    plain = ingest_token_create(
        domain=domain, name="t", scopes=scopes, actor=actor
    ).plaintext
    return {"Authorization": f"Bearer {plain}"}


def review(client, pk, body, headers=None):
    return client.post(
        f"/api/v1/proposals/{pk}/reviews",
        body,
        content_type="application/json",
        headers=headers or {},
    )


def test_the_schema_is_for_any_token_and_is_the_one_the_parser_follows(client, domain):
    assert client.get("/api/v1/schemas/pins.json").status_code == 401
    response = client.get("/api/v1/schemas/pins.json", headers=token(domain, ["ci"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert response.json() == JSON_SCHEMA


def test_the_current_pin_says_stable_candidate_and_traffic(
    client, domain, objects, people
):
    headers = token(domain, ["pins"])
    response = client.get(
        "/api/v1/pins/acme/summaries/checkout-summary/current", headers=headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["traffic_pct"] == 5
    assert body["stable"]["params"] == {"temperature": 0.2}
    assert body["candidate"]["params"] == {"temperature": 0.3}
    missing = client.get("/api/v1/pins/acme/summaries/nope/current", headers=headers)
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert "No pin 'nope' in acme/summaries" in missing.json()["detail"]
    other = DomainFactory(slug="search")
    assert (
        client.get(
            "/api/v1/pins/acme/summaries/checkout-summary/current",
            headers=token(other, ["pins"]),
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/pins/acme/summaries/checkout-summary/current",
            headers=token(domain, ["ci"]),
        ).status_code
        == 403
    )


def test_a_reviewers_token_approves_and_it_is_audited(client, domain, objects, people):
    response = review(
        client,
        objects["proposal"],
        {"verdict": "approve", "comment": "ok"},
        token(domain, ["reviews"], actor=people["bob"]),
    )
    assert response.status_code == 201, response.content
    assert response.json()["review_state"] == "success"
    assert Review.objects.get().reviewer == people["bob"]
    assert domain.audit.filter(
        action="pins.review.approve", actor=people["bob"]
    ).exists()


def test_refusals_say_why(client, domain, objects, people):
    pk = objects["proposal"]
    operator = review(client, pk, {"verdict": "approve"}, token(domain, ["reviews"]))
    assert operator.status_code == 403
    assert "minted by an operator" in operator.json()["detail"]

    bad = review(
        client, pk, {"verdict": "maybe"}, token(domain, ["reviews"], people["bob"])
    )
    assert bad.status_code == 422

    assert (
        review(
            client,
            "99999999999999999999",
            {"verdict": "approve"},
            token(domain, ["reviews"], people["bob"]),
        ).status_code
        == 404
    )

    ProposalPin.objects.filter(proposal_id=pk).update(
        plan_problems=["rollout plan missing: add rollout"]
    )
    blocked = review(
        client, pk, {"verdict": "approve"}, token(domain, ["reviews"], people["bob"])
    )
    assert blocked.status_code == 409
    assert "rollout plan missing" in blocked.json()["detail"]
    # Changes may still be requested on a plan that is not valid.
    asked = review(
        client,
        pk,
        {"verdict": "request_changes", "comment": "add a plan"},
        token(domain, ["reviews"], people["bob"]),
    )
    assert asked.status_code == 201
    assert asked.json()["review_state"] == "failure"


def test_another_domains_reviewer_gets_a_404_and_is_counted(
    client, domain, objects, people
):
    from tests.factories import UserFactory, member

    other = DomainFactory(slug="search")
    stranger = UserFactory(username="stranger")
    member(stranger, other, "reviewer")
    response = review(
        client,
        objects["proposal"],
        {"verdict": "approve"},
        token(other, ["reviews"], stranger),
    )
    assert response.status_code == 404
    assert PermissionDenial.objects.filter(domain=domain, status_code=404).exists()
    assert not Review.objects.exists()


def test_a_signed_in_reviewer_needs_the_csrf_token(domain, objects, people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["bob"])
    refused = review(browser, objects["proposal"], {"verdict": "approve"})
    assert refused.status_code == 403
    page = browser.get(
        reverse("pins:proposal", args=[domain.slug, objects["proposal"]])
    )
    csrf = page.cookies["csrftoken"].value
    accepted = review(
        browser, objects["proposal"], {"verdict": "approve"}, {"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201, accepted.content
    viewer = Client()
    viewer.force_login(people["vic"])
    assert (
        review(viewer, objects["proposal"], {"verdict": "approve"}).status_code == 403
    )


def test_without_credentials_it_is_a_401(client, objects):
    assert (
        review(client, objects["proposal"], {"verdict": "approve"}).status_code == 401
    )


def test_the_pull_requests_author_is_refused_with_a_403(client, domain, objects):
    from tests.factories import UserFactory, member

    author = UserFactory(username="octocat")  # the proposal's GitHub author
    member(author, domain, "reviewer")
    response = review(
        client,
        objects["proposal"],
        {"verdict": "approve"},
        token(domain, ["reviews"], author),
    )
    assert response.status_code == 403
    assert "Nobody approves their own change" in response.json()["detail"]
    assert not Review.objects.exists()
