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
