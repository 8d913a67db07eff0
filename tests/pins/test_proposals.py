"""Pull requests that change pins become proposals, read at their exact base and
head shas from the fake GitHub (real PyGithub): diffs, risks, the plan, the
review rules and the `controlplane/pin-review` verdict on the head."""

import pytest

from dashboard.models import AuditEntry
from pipelines.gates.models import GateContext, GateVerdict
from pipelines.gates.services.gates import gate_status_post
from pipelines.pins.models import Pin, PinVersion, ProposalState
from pipelines.pins.services import proposals
from pipelines.pins.services.reviews import ReviewRefused, review_submit
from tests.pins.conftest import (
    PINS_PATH,
    PROMPT,
    PROMPT_PATH,
    REPO,
    pins_yaml,
    read_pull,
)

pytest_plugins = ["tests.fakes.plugin"]
pytestmark = pytest.mark.django_db


def pin_review(sha: str) -> GateVerdict:
    return GateVerdict.objects.get(sha=sha, context=GateContext.PIN_REVIEW)


def prompt_change(github_people, branch="prompt-tweak", author="ann", text=None):
    pull = github_people.open_pull(
        branch, {PROMPT_PATH: text or PROMPT.replace("friendly", "warm")}, author=author
    )
    return github_people.pull_json(pull.number)


def test_the_default_branch_pins_are_current_versions(repository, main_sha):
    pin = Pin.objects.get(repository=repository, pin_id="checkout-summary")
    assert pin.current == pin.stable and pin.candidate is None
    assert pin.current.prompt_text == PROMPT
    assert pin.current.model == "openai/gpt-4.1-2025-04-14"
    assert pin.default_sha == main_sha
    # Reading the same content again records no new version.
    from pipelines.pins.services.versions import default_branch_read

    default_branch_read(repository_id=repository.pk, sha=main_sha)
    assert PinVersion.objects.filter(repository=repository).count() == 1


def test_a_pull_request_changing_a_prompt_is_pending_with_its_diff(
    repository, main_sha, github_people, fake_github
):
    pull = prompt_change(github_people)
    proposal = read_pull(repository, pull)

    assert proposal.state == ProposalState.OPEN and proposal.author == "ann"
    (change,) = proposal.pins.all()
    assert change.pin_id == "checkout-summary" and change.change == "changed"
    assert "-Be brief and friendly." in change.prompt_diff
    assert "+Be brief and warm." in change.prompt_diff
    assert change.plan_problems == []
    verdict = pin_review(pull["head"]["sha"])
    assert (verdict.state, verdict.description) == ("pending", "0 of 1 approvals")
    # The verdict goes to GitHub on the PR's head like every gate's.
    gate_status_post(verdict_id=verdict.pk)
    (posted,) = fake_github.statuses(REPO, pull["head"]["sha"])
    assert posted["context"] == "controlplane/pin-review"
    assert posted["state"] == "pending"


def test_nobody_approves_their_own_change_another_reviewer_does(
    repository, main_sha, github_people, people
):
    pull = prompt_change(github_people, author="ann")
    proposal = read_pull(repository, pull)

    with pytest.raises(ReviewRefused, match="Nobody approves their own change"):
        review_submit(proposal=proposal, reviewer=people["ann"], verdict="approve")
    review_submit(
        proposal=proposal, reviewer=people["bob"], verdict="approve", comment="ok"
    )

    verdict = pin_review(pull["head"]["sha"])
    assert (verdict.state, verdict.description) == (
        "success",
        "1 of 1 approvals; rollout plan ok",
    )
    entry = AuditEntry.objects.get(action="pins.review.approve")
    assert entry.actor == people["bob"] and entry.after["comment"] == "ok"


def test_a_new_push_changing_the_pin_makes_the_approval_stale(
    repository, main_sha, github_people, people
):
    pull = prompt_change(github_people)
    proposal = read_pull(repository, pull)
    review_submit(proposal=proposal, reviewer=people["bob"], verdict="approve")
    assert pin_review(pull["head"]["sha"]).state == "success"

    github_people.push("prompt-tweak", {PROMPT_PATH: PROMPT + "Never upsell.\n"})
    moved = github_people.pull_json(pull["number"])
    proposal = read_pull(repository, moved)

    assert proposal.reviews.get().stale
    verdict = pin_review(moved["head"]["sha"])
    assert (verdict.state, verdict.description) == ("pending", "0 of 1 approvals")
    assert proposal.events.filter(kind="approvals_dismissed").exists()


def test_a_push_that_leaves_the_pins_alone_keeps_the_approval(
    repository, main_sha, github_people, people
):
    pull = prompt_change(github_people)
    proposal = read_pull(repository, pull)
    review_submit(proposal=proposal, reviewer=people["bob"], verdict="approve")

    github_people.push("prompt-tweak", {"README.md": "docs only\n"})
    moved = github_people.pull_json(pull["number"])
    read_pull(repository, moved)

    assert pin_review(moved["head"]["sha"]).state == "success"


def test_changes_requested_block_until_the_same_reviewer_approves(
    repository, main_sha, github_people, people
):
    pull = prompt_change(github_people)
    proposal = read_pull(repository, pull)
    review_submit(
        proposal=proposal,
        reviewer=people["cy"],
        verdict="request_changes",
        comment="tone",
    )
    review_submit(proposal=proposal, reviewer=people["bob"], verdict="approve")
    verdict = pin_review(pull["head"]["sha"])
    assert (verdict.state, verdict.description) == (
        "failure",
        "changes requested by cy",
    )

    review_submit(proposal=proposal, reviewer=people["cy"], verdict="approve")
    assert pin_review(pull["head"]["sha"]).state == "success"


def test_a_missing_plan_blocks_approval_and_says_what_is_missing(
    repository, main_sha, github_people, people
):
    pull = github_people.open_pull(
        "warmer", {PINS_PATH: pins_yaml(temperature=0.9, plan="")}, author="ann"
    )
    pull = github_people.pull_json(pull.number)
    proposal = read_pull(repository, pull)

    (change,) = proposal.pins.all()
    assert "temperature raised: 0.2 → 0.9" in change.risks
    assert "rollout plan missing" in change.risks
    with pytest.raises(ReviewRefused, match="rollout plan missing"):
        review_submit(proposal=proposal, reviewer=people["bob"], verdict="approve")
    verdict = pin_review(pull["head"]["sha"])
    assert (verdict.state, verdict.description) == (
        "pending",
        "0 of 1 approvals; rollout plan missing",
    )


def test_a_guard_slo_the_domain_lacks_is_a_plan_problem(
    repository, main_sha, github_people
):
    plan = "rollout: {stages: [5, 100], hold: 1h, guard_slo: nope, max_burn: 2}"
    pull = github_people.open_pull(
        "guard", {PINS_PATH: pins_yaml(temperature=0.1, plan=plan)}
    )
    proposal = read_pull(repository, github_people.pull_json(pull.number))
    (change,) = proposal.pins.all()
    assert change.plan_problems == [
        "rollout.guard_slo 'nope' is not an SLO of this domain"
    ]
    assert "guard SLO unknown: 'nope'" in change.risks


def test_a_latest_alias_fails_the_status(repository, main_sha, github_people):
    pull = github_people.open_pull(
        "latest", {PINS_PATH: pins_yaml(model="openai/gpt-4o-latest")}
    )
    proposal = read_pull(repository, github_people.pull_json(pull.number))
    assert "'latest' alias" in proposal.file_error
    verdict = pin_review(proposal.head_sha)
    assert verdict.state == "failure"
    assert verdict.description.startswith(
        "pins file invalid: pin 'checkout-summary'.model"
    )


def test_a_pull_request_that_changes_no_pin_passes(repository, main_sha, github_people):
    pull = github_people.open_pull("docs", {"README.md": "hello\n"})
    pull = github_people.pull_json(pull.number)
    assert read_pull(repository, pull) is None
    verdict = pin_review(pull["head"]["sha"])
    assert (verdict.state, verdict.description) == ("success", "no pin changes")


def test_owners_must_approve_their_pin(repository, main_sha, github_people, people):
    owned = pins_yaml(temperature=0.1).replace(
        "    params:", "    owners: [cy]\n    approvals: 2\n    params:"
    )
    pull = github_people.open_pull("owned", {PINS_PATH: owned})
    proposal = read_pull(repository, github_people.pull_json(pull.number))
    review_submit(proposal=proposal, reviewer=people["bob"], verdict="approve")
    assert pin_review(proposal.head_sha).description == (
        "0 of 2 approvals; an owner of checkout-summary must approve"
    )
    review_submit(proposal=proposal, reviewer=people["cy"], verdict="approve")
    assert pin_review(proposal.head_sha).description == (
        "1 of 2 approvals; an owner of checkout-summary must approve"
    )


def test_a_closed_pull_request_closes_the_proposal(
    repository, main_sha, github_people, fake_github, people
):
    pull = prompt_change(github_people)
    proposal = read_pull(repository, pull)
    fake_github.close_pull(REPO, pull["number"])
    proposals.pull_request_closed(
        repository_id=repository.pk, number=pull["number"], merged=False
    )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.CLOSED
    with pytest.raises(ReviewRefused, match="closed"):
        review_submit(proposal=proposal, reviewer=people["bob"], verdict="approve")


def test_a_viewer_or_engineer_cannot_review(
    repository, main_sha, github_people, people
):
    proposal = read_pull(repository, prompt_change(github_people))
    for name in ("vic", "eve"):
        with pytest.raises(ReviewRefused, match="Only a reviewer"):
            review_submit(proposal=proposal, reviewer=people[name], verdict="approve")


def test_drafts_from_incident_learnings_list_with_their_link(domain, people):
    draft = proposals.proposal_draft_create(
        domain=domain,
        title="Lower temperature after INC-7",
        rationale="Hallucinated refunds",
        kind="incident",
        source_url="https://cp.example.org/d/payments/incidents/7/",
        pin_id="checkout-summary",
        created_by=people["eve"],
    )
    assert draft.state == ProposalState.DRAFT and draft.source == "incident"
    assert draft.source_url.endswith("/incidents/7/")
    assert draft.proposer == people["eve"]


def test_the_verdict_shows_on_the_commit_page_beside_the_gates(
    client, repository, main_sha, github_people, people
):
    pull = prompt_change(github_people)
    read_pull(repository, pull)
    client.force_login(people["vic"])
    page = client.get(
        f"/d/payments/commits/{pull['head']['sha']}/?repository={REPO}"
    ).content.decode()
    assert 'data-context="controlplane/pin-review"' in page
    assert "0 of 1 approvals" in page
