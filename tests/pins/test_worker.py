"""The whole path with a real Celery worker and the fake GitHub: GitHub's
pull_request webhook → the worker reads the pins at the head → the pending
`controlplane/pin-review` status on GitHub → a reviewer approves through the
API → success on GitHub; a push to main after the merge starts the rollout."""

import json

import pytest

from dashboard.domains.services import ingest_token_create
from pipelines.pins.models import Pin, Proposal, Rollout
from tests.pins.conftest import PINS_PATH, PROMPT, PROMPT_PATH, REPO, pins_yaml
from tests.pipelines.conftest import deliver
from tests.platform.test_worker import wait_for

pytest_plugins = ["tests.fakes.plugin"]
pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]


def pull_request_payload(pull: dict, action: str) -> bytes:
    return json.dumps(
        {
            "action": action,
            "number": pull["number"],
            "pull_request": pull,
            "repository": pull["base"]["repo"],
            "sender": pull["user"],
        }
    ).encode()


def push_payload(fake, sha: str, before: str) -> bytes:
    return json.dumps(
        {
            "ref": "refs/heads/main",
            "before": before,
            "after": sha,
            "created": False,
            "deleted": False,
            "forced": False,
            "commits": [],
            "head_commit": None,
            "pusher": {"name": "ann"},
            "repository": {"full_name": REPO},
        }
    ).encode()


def status(fake, sha: str):
    found = [
        s for s in fake.statuses(REPO, sha) if s["context"] == "controlplane/pin-review"
    ]
    return found[-1] if found else None


def test_a_pull_request_is_reviewed_end_to_end(
    client, repository, people, fake_github, github_worker, github_people
):
    first = fake_github.push(
        REPO, "main", {PINS_PATH: pins_yaml(), PROMPT_PATH: PROMPT}
    )
    # GitHub tells us about main: the worker reads the current pins.
    response = deliver(client, "push", push_payload(fake_github, first, "0" * 40))
    assert response.status_code == 202
    wait_for(lambda: Pin.objects.exists(), 60, "the current pins", github_worker)

    pull = github_people.open_pull("tone", {PROMPT_PATH: PROMPT + "Thanks!\n"})
    pull = github_people.pull_json(pull.number)
    head = pull["head"]["sha"]
    deliver(client, "pull_request", pull_request_payload(pull, "opened"))

    pending = wait_for(lambda: status(fake_github, head), 60, "pending", github_worker)
    assert pending["state"] == "pending"
    assert pending["description"] == "0 of 1 approvals"
    proposal = Proposal.objects.get(number=pull["number"])

    token = ingest_token_create(
        domain=repository.domain, name="bob", scopes=["reviews"], actor=people["bob"]
    ).plaintext
    answer = client.post(
        f"/api/v1/proposals/{proposal.pk}/reviews",
        {"verdict": "approve", "comment": "reads well"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["review_state"] == "success"
    wait_for(
        lambda: (status(fake_github, head) or {}).get("state") == "success",
        60,
        "success on GitHub",
        github_worker,
    )

    merged = fake_github.merge_pull(REPO, pull["number"])
    deliver(
        client,
        "pull_request",
        pull_request_payload(github_people.pull_json(pull["number"]), "closed"),
    )
    deliver(client, "push", push_payload(fake_github, merged, first))
    rollout = wait_for(
        lambda: Rollout.objects.filter(proposal=proposal).first(),
        60,
        "rollout",
        github_worker,
    )
    assert rollout.traffic_pct == 5
    wait_for(
        lambda: Proposal.objects.get(pk=proposal.pk).state == "merged",
        60,
        "merged",
        github_worker,
    )


def test_a_change_proposed_here_is_opened_by_the_worker_once(
    repository, people, fake_github, github_worker
):
    from pipelines.pins.services import versions
    from pipelines.pins.services.here import proposal_here_create

    sha = fake_github.push(REPO, "main", {PINS_PATH: pins_yaml(), PROMPT_PATH: PROMPT})
    versions.default_branch_read(repository_id=repository.pk, sha=sha)
    pin = Pin.objects.select_related("current", "repository", "domain").get()

    def propose():
        return proposal_here_create(
            pin=pin,
            changes={"model": "openai/gpt-4.1-2025-06-01"},
            prompt_text=None,
            title="Newer snapshot",
            rationale="",
            proposer=people["eve"],
        )

    proposal = propose()
    opened = wait_for(
        lambda: Proposal.objects.get(pk=proposal.pk).number, 60, "the PR", github_worker
    )
    (pull,) = fake_github.pulls(REPO)
    assert pull["number"] == opened and pull["title"] == "Newer snapshot"
    pending = wait_for(
        lambda: status(fake_github, pull["head"]["sha"]), 60, "pending", github_worker
    )
    assert pending["state"] == "pending"

    assert propose().pk == proposal.pk
    wait_for(
        lambda: (
            Proposal.objects.get(pk=proposal.pk)
            .events.filter(text__endswith="updated")
            .exists()
        ),
        60,
        "the PR updated",
        github_worker,
    )
    assert len(fake_github.pulls(REPO)) == 1


def test_the_beat_rolls_back_a_burning_rollout_and_the_worker_opens_the_revert(
    repository, people, fake_github, github_worker
):
    from django.utils import timezone

    from pipelines.pins.services import versions
    from slos.models import SliPoint, Slo
    from tests.platform.test_worker import send

    first = fake_github.push(
        REPO, "main", {PINS_PATH: pins_yaml(), PROMPT_PATH: PROMPT}
    )
    versions.default_branch_read(repository_id=repository.pk, sha=first)
    second = fake_github.push(REPO, "main", {PROMPT_PATH: PROMPT + "Upsell!\n"})
    versions.default_branch_read(repository_id=repository.pk, sha=second)
    rollout = Rollout.objects.get()
    slo = Slo.objects.get(name="checkout-latency")
    SliPoint.objects.create(slo=slo, ts=timezone.now(), good=500, total=1000)

    send("pipelines.pins_rollouts_check")

    url = wait_for(
        lambda: Rollout.objects.get(pk=rollout.pk).revert_url,
        60,
        "the revert PR",
        github_worker,
    )
    (revert,) = fake_github.pulls(REPO)
    assert revert["html_url"] == url
    assert fake_github.file(REPO, revert["head"]["ref"], PROMPT_PATH) == PROMPT
    assert Rollout.objects.get(pk=rollout.pk).state == "rolled_back"
