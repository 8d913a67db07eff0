"""Changes proposed here open exactly one pull request (re-proposing updates
it); merged changes roll out by their plan, and a guard SLO burning above
max_burn rolls back and opens a revert pull request."""

from datetime import timedelta

import pytest
from django.utils import timezone

from pipelines.github import repos
from pipelines.pins.models import Pin, ProposalState, Rollout, RolloutState
from pipelines.pins.services import here, rollouts, versions
from pipelines.pins.services.here import ProposalInvalid, proposal_here_create
from pipelines.pins.services.reviews import ReviewRefused, review_submit
from pipelines.pins.spec import pins_parse
from slos.models import SliPoint, Slo
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


def the_pin(repository) -> Pin:
    return Pin.objects.select_related("current", "repository", "domain").get(
        repository=repository, pin_id="checkout-summary"
    )


def propose(repository, people, *, who="eve", text="Be kind.\n", **changes):
    return proposal_here_create(
        pin=the_pin(repository),
        changes=changes,
        prompt_text=text,
        title="Kinder summary",
        rationale="Customers asked for warmer words.",
        proposer=people[who],
    )


def test_a_change_proposed_here_opens_one_pull_request(
    repository, main_sha, people, fake_github
):
    proposal = propose(
        repository, people, who="ann", params={"temperature": 0.1, "max_tokens": 800}
    )
    here.proposal_pull_open(proposal_id=proposal.pk)

    (pull,) = fake_github.pulls(REPO)
    branch = pull["head"]["ref"]
    assert branch.startswith("controlplane/pins/checkout-summary-")
    assert [label["name"] for label in pull["labels"]] == ["controlplane:pins"]
    assert (
        "+Be kind." in pull["body"]
        and "**Rollout plan:** stages [5, 25, 50, 100]" in pull["body"]
    )
    # One commit on main's head with the new pins file and prompt.
    assert fake_github.file(REPO, branch, PROMPT_PATH) == "Be kind.\n"
    pinned = pins_parse(fake_github.file(REPO, branch, PINS_PATH))["checkout-summary"]
    assert pinned.params == {"max_tokens": 800, "temperature": 0.1}
    commit = fake_github.commit(REPO, pull["head"]["sha"])
    assert [p["sha"] for p in commit["parents"]] == [main_sha]
    proposal.refresh_from_db()
    assert proposal.number == pull["number"] and proposal.url == pull["html_url"]

    # The same content again: the same proposal, the same pull request, updated.
    again = propose(
        repository, people, who="ann", params={"temperature": 0.1, "max_tokens": 800}
    )
    assert again.pk == proposal.pk
    here.proposal_pull_open(proposal_id=again.pk)
    assert len(fake_github.pulls(REPO)) == 1

    # The pull request's own webhook finds the proposal; its proposer cannot approve.
    proposal = read_pull(repository, fake_github.pulls(REPO)[0])
    assert proposal.pk == again.pk
    with pytest.raises(ReviewRefused, match="Nobody approves"):
        review_submit(proposal=proposal, reviewer=people["ann"], verdict="approve")


def test_an_invalid_proposal_says_what_to_fix(repository, main_sha, people):
    with pytest.raises(ProposalInvalid, match="'latest' alias"):
        propose(repository, people, model="openai/gpt-4o-latest")
    with pytest.raises(ProposalInvalid, match="Nothing changes"):
        propose(repository, people, text=PROMPT)


def test_closing_its_pull_request_unmerged_closes_the_proposal(
    repository, main_sha, people, fake_github
):
    from pipelines.pins.services.proposals import pull_request_closed

    proposal = propose(repository, people)
    here.proposal_pull_open(proposal_id=proposal.pk)
    proposal.refresh_from_db()
    fake_github.close_pull(REPO, proposal.number)
    pull_request_closed(
        repository_id=repository.pk, number=proposal.number, merged=False
    )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.CLOSED


def merged_change(repository, people, fake_github, github_people, **yaml):
    pull = github_people.open_pull(
        "change", {PINS_PATH: pins_yaml(**yaml), PROMPT_PATH: PROMPT + "Thanks!\n"}
    )
    proposal = read_pull(repository, github_people.pull_json(pull.number))
    merged = fake_github.merge_pull(REPO, pull.number)
    versions.default_branch_read(repository_id=repository.pk, sha=merged)
    return proposal, Rollout.objects.get(pin__repository=repository)


def burn(domain, *, good: int, total: int, at=None):
    slo = Slo.objects.get(domain=domain, name="checkout-latency")
    SliPoint.objects.create(slo=slo, ts=at or timezone.now(), good=good, total=total)


def test_a_merged_change_rolls_out_by_its_stages(
    repository, main_sha, people, fake_github, github_people
):
    proposal, rollout = merged_change(repository, people, fake_github, github_people)
    pin = the_pin(repository)
    assert rollout.proposal == proposal
    assert pin.candidate == rollout.to_version and pin.traffic_pct == 5
    assert pin.stable == rollout.from_version

    start = rollout.stage_started_at
    burn(repository.domain, good=999, total=1000)  # burn 0.1: fine
    assert (
        rollouts.rollout_check(rollout_id=rollout.pk, now=start + timedelta(minutes=10))
        == "holding"
    )
    assert (
        rollouts.rollout_check(rollout_id=rollout.pk, now=start + timedelta(minutes=31))
        == "advanced"
    )
    assert the_pin(repository).traffic_pct == 25
    later = start + timedelta(minutes=31)
    for _ in range(3):
        later += timedelta(minutes=31)
        rollouts.rollout_check(rollout_id=rollout.pk, now=later)
    rollout.refresh_from_db()
    pin = the_pin(repository)
    assert rollout.state == RolloutState.DONE
    assert pin.stable == rollout.to_version and pin.candidate is None
    assert [e.kind for e in rollout.events.all()] == [
        "started",
        "advanced",
        "advanced",
        "advanced",
        "done",
    ]


def test_a_guard_breach_rolls_back_and_opens_a_revert_pull_request(
    repository, main_sha, people, fake_github, github_people
):
    _, rollout = merged_change(repository, people, fake_github, github_people)
    burn(repository.domain, good=900, total=1000)  # 10% errors on a 99%: burn 10

    assert rollouts.rollout_check(rollout_id=rollout.pk) == "rolled_back"
    rollout.refresh_from_db()
    pin = the_pin(repository)
    assert rollout.state == RolloutState.ROLLED_BACK
    assert pin.candidate is None and pin.traffic_pct == 0
    event = rollout.events.get(kind="rolled_back")
    assert event.burn_rate == pytest.approx(10.0)
    assert "burns at 10.00×" in event.text

    url = rollouts.revert_pull_open(rollout_id=rollout.pk)
    revert = [p for p in fake_github.pulls(REPO) if p["state"] == "open"]
    assert len(revert) == 1 and revert[0]["html_url"] == url
    assert revert[0]["title"].startswith("Revert pin checkout-summary")
    assert fake_github.file(REPO, revert[0]["head"]["ref"], PROMPT_PATH) == PROMPT
    # Merging the revert makes the stable version current again; no new rollout.
    merged = fake_github.merge_pull(REPO, revert[0]["number"])
    versions.default_branch_read(repository_id=repository.pk, sha=merged)
    pin = the_pin(repository)
    assert pin.current == pin.stable == rollout.from_version
    assert Rollout.objects.filter(state=RolloutState.RUNNING).count() == 0


def test_an_engineer_advances_by_a_click(
    repository, main_sha, people, fake_github, github_people
):
    _, rollout = merged_change(repository, people, fake_github, github_people)
    rollouts.rollout_advance_by(rollout=rollout, actor=people["eve"])
    assert the_pin(repository).traffic_pct == 25
    assert rollout.events.filter(kind="advanced", actor=people["eve"]).exists()


def test_a_merge_without_a_valid_plan_serves_at_once(
    repository, main_sha, people, fake_github, github_people
):
    pull = github_people.open_pull(
        "noplan", {PINS_PATH: pins_yaml(temperature=0.3, plan="")}
    )
    merged = fake_github.merge_pull(REPO, pull.number)
    versions.default_branch_read(repository_id=repository.pk, sha=merged)
    pin = the_pin(repository)
    assert pin.stable == pin.current and pin.candidate is None
    assert pin.current.entry["params"]["temperature"] == 0.3
    assert not Rollout.objects.exists()
    assert repos.file_at(REPO, PINS_PATH, "main") is not None
