"""Reviewers mint and revoke their own `reviews` tokens from the domain page
(they may not manage the domain's other tokens), and the token reviews."""

import pytest

from dashboard.models import IngestToken

pytestmark = pytest.mark.django_db


def test_a_reviewer_mints_a_reviews_token_shown_once(client, world):
    reviewer = world.people["reviewer"]
    client.force_login(reviewer)
    page = client.get(f"/d/{world.a.slug}/").content.decode()
    assert "Your review tokens" in page and "You have no review tokens." in page
    assert "MARKERA-token" not in page  # the domain's CI token is not theirs to see
    response = client.post(f"/d/{world.a.slug}/review-tokens/", {"name": "my script"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    token = IngestToken.objects.get(name="my script")
    assert token.scopes == ["reviews"] and token.created_by == reviewer
    html = response.content.decode()
    assert 'data-testid="issued-review-token"' in html
    assert (
        f"cpi_{token.prefix}_" in html
        and "/api/v1/proposals/PROPOSAL_ID/reviews" in html
    )
    # Shown once: the next page view lists it without the secret.
    again = client.get(f"/d/{world.a.slug}/").content.decode()
    assert "my script" in again and 'data-testid="issued-review-token"' not in again


def test_a_review_token_authenticates_as_its_creator_on_the_reviews_api(client, world):
    client.force_login(world.people["reviewer"])
    html = client.post(
        f"/d/{world.a.slug}/review-tokens/", {"name": "ci reviews"}
    ).content.decode()
    secret = html.split('id="new-review-token" class="token" readonly value="')[1]
    secret = secret.split('"')[0]
    client.logout()
    # No such proposal: 404 from the reviews API, not 401/403 (the token works).
    response = client.post(
        "/api/v1/proposals/999999/reviews",
        {"verdict": "approve"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 404, response.content


def test_a_reviewer_revokes_only_their_own(client, world):
    client.force_login(world.people["reviewer"])
    client.post(f"/d/{world.a.slug}/review-tokens/", {"name": "mine"})
    mine = IngestToken.objects.get(name="mine")
    ci = IngestToken.objects.get(name="MARKERA-token")
    assert (
        client.post(f"/d/{world.a.slug}/review-tokens/{ci.pk}/revoke").status_code
        == 404
    )
    ci.refresh_from_db()
    assert ci.revoked_at is None
    response = client.post(f"/d/{world.a.slug}/review-tokens/{mine.pk}/revoke")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None


@pytest.mark.parametrize("role", ["viewer", "engineer", "admin"])
def test_only_reviewers_get_review_tokens(client, world, role):
    client.force_login(world.people[role])
    assert (
        "Your review tokens" not in client.get(f"/d/{world.a.slug}/").content.decode()
    )
    response = client.post(f"/d/{world.a.slug}/review-tokens/", {"name": "x"})
    assert response.status_code == 403
    assert not IngestToken.objects.filter(name="x").exists()


def test_a_blank_name_is_a_422_with_the_form(client, world):
    client.force_login(world.people["reviewer"])
    response = client.post(f"/d/{world.a.slug}/review-tokens/", {"name": " "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
