"""The pins pages: a reviewer approves from the proposal page (htmx), the
rules refuse what they must, a change is proposed from the pin page, the
inbox lists what waits on a reviewer; query counts stay flat."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from pipelines.pins.models import Proposal, Review
from tests.factories import RepositoryFactory, UserFactory
from tests.pins.factories import pin_world
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(domain):
    repository = RepositoryFactory(domain=domain, full_name="acme/summaries")
    return pin_world(domain, repository, pin_id="checkout-summary")


def proposal_url(domain, objects) -> str:
    return reverse(
        "pins:proposal", kwargs={"slug": domain.slug, "pk": objects["proposal"]}
    )


def test_the_proposal_page_shows_diff_risks_and_the_form_to_reviewers(
    client, domain, objects, people
):
    client.force_login(people["bob"])
    page = client.get(proposal_url(domain, objects)).content.decode()
    assert "+ Be warm." in page and "temperature raised: 0.3 → 0.9" in page
    assert "Submit review" in page
    client.force_login(people["vic"])
    page = client.get(proposal_url(domain, objects)).content.decode()
    assert "Submit review" not in page


def test_a_reviewer_approves_with_htmx_and_sees_the_new_status(
    client, domain, objects, people
):
    client.force_login(people["bob"])
    response = client.post(
        proposal_url(domain, objects),
        {"verdict": "approve", "comment": "fine"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="review-area"')
    assert 'data-state="success"' in fragment and "1 of 1 approvals" in fragment
    assert Review.objects.get().reviewer == people["bob"]


def test_the_author_cannot_approve_from_the_page(client, domain, objects, people):
    author = UserFactory(username="octocat")
    from tests.factories import member

    member(author, domain, "reviewer")
    client.force_login(author)
    response = client.post(
        proposal_url(domain, objects), {"verdict": "approve"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Nobody approves their own change" in response.content.decode()
    assert not Review.objects.exists()


def test_a_viewer_may_not_review(client, domain, objects, people):
    client.force_login(people["vic"])
    response = client.post(proposal_url(domain, objects), {"verdict": "approve"})
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_an_engineer_proposes_a_change_from_the_pin_page(
    client, domain, objects, people
):
    client.force_login(people["eve"])
    url = reverse(
        "pins:pin-propose", kwargs={"slug": domain.slug, "pk": objects["pin"]}
    )
    response = client.post(
        url,
        {
            "title": "Cooler",
            "params": '{"temperature": 0.1}',
            "prompt_text": "Be terse.\n",
        },
    )
    proposal = Proposal.objects.get(source="here")
    assert (
        response.status_code == 302
        and response["Location"] == proposal.get_absolute_url()
    )
    assert proposal.head_ref.startswith("controlplane/pins/checkout-summary-")
    (change,) = proposal.pins.all()
    assert "+Be terse." in change.prompt_diff
    bad = client.post(url, {"title": "x", "model": "openai/gpt-4o-latest"})
    assert bad.status_code == 422 and "&#x27;latest&#x27; alias" in bad.content.decode()


def test_the_inbox_lists_what_waits_on_the_reviewer(client, domain, objects, people):
    client.force_login(people["bob"])
    assert "warmer summary" in client.get(reverse("pins:inbox")).content.decode()
    client.post(proposal_url(domain, objects), {"verdict": "approve"})
    assert "warmer summary" not in client.get(reverse("pins:inbox")).content.decode()
    client.force_login(people["vic"])  # not a reviewer: nothing
    assert "warmer summary" not in client.get(reverse("pins:inbox")).content.decode()


def _ok(client, path, **extra):
    def call():
        cache.delete_pattern("*")  # the panel is cached: measure it cold
        response = client.get(path, **extra)
        assert response.status_code == 200, response.status_code

    return call


def test_page_queries_do_not_grow_with_rows(client, domain, objects, people):
    client.force_login(people["bob"])
    repository = RepositoryFactory(domain=domain, full_name="acme/more")
    proposal = Proposal.objects.get(pk=objects["proposal"])
    reviewers = iter(UserFactory() for _ in range(100))

    def more(n: int) -> None:
        from tests.factories import member

        for _ in range(n):
            pin_world(domain, repository, pin_id=f"p{Proposal.objects.count()}")
            user = next(reviewers)
            member(user, domain, "reviewer")
            Review.objects.create(
                proposal=proposal, reviewer=user, verdict="approve", content_hash="x"
            )
            proposal.events.create(kind="status", text="pending")

    for path in [
        proposal_url(domain, objects),
        reverse("pins:proposals", kwargs={"slug": domain.slug}),
        reverse("pins:pin", kwargs={"slug": domain.slug, "pk": objects["pin"]}),
        reverse("pins:inbox"),
        reverse("dash:dashboard-panel", kwargs={"slug": domain.slug, "panel": "pins"}),
    ]:
        _ok(client, path)()
        assert_constant_queries(more, _ok(client, path))


def test_the_panel_shows_pins_and_proposals(client, domain, objects, people):
    client.force_login(people["vic"])
    page = client.get(
        reverse("dash:dashboard-panel", kwargs={"slug": domain.slug, "panel": "pins"})
    ).content.decode()
    assert "checkout-summary" in page and "warmer summary" in page and "5% on" in page


def test_anonymous_visitors_are_sent_to_sign_in(domain, objects):
    response = Client().get(reverse("pins:inbox"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_proposal_page_draws_its_rollout(client, domain, objects, people):
    from pipelines.pins.models import Rollout, RolloutEvent

    rollout = Rollout.objects.get(pk=objects["rollout-advance"])
    rollout.proposal_id = objects["proposal"]
    rollout.save()
    RolloutEvent.objects.create(
        rollout=rollout, kind="started", traffic_pct=5, text="x"
    )
    RolloutEvent.objects.create(
        rollout=rollout, kind="advanced", traffic_pct=25, burn_rate=0.4, text="y"
    )
    client.force_login(people["vic"])
    page = client.get(proposal_url(domain, objects)).content.decode()
    assert "Rollout of checkout-summary" in page
    assert "plotly.min.js" in page
    assert "advanced (25%)" in page
