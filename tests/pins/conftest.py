"""Fixtures for the pins tests: a domain with a repository on the fake GitHub
holding a pins file and its prompt, a guard SLO, reviewers and an engineer."""

import pytest

from pipelines.github import repos
from pipelines.pins.services import proposals, versions
from slos.models import Slo
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member

REPO = "acme/payments-api"
PINS_PATH = ".controlplane/pins.yaml"
PROMPT_PATH = "prompts/checkout-summary.md"
PROMPT = "Summarise the order for the customer.\nBe brief and friendly.\n"
PLAN = "rollout: {stages: [5, 25, 50, 100], hold: 30m, guard_slo: checkout-latency, max_burn: 2}"


def pins_yaml(
    *,
    model: str = "openai/gpt-4.1-2025-04-14",
    temperature: float = 0.2,
    plan: str = PLAN,
) -> str:
    lines = [
        "pins:",
        "  - id: checkout-summary",
        "    kind: prompt",
        f"    model: {model}",
        f"    prompt: {PROMPT_PATH}",
        f"    params: {{temperature: {temperature}, max_tokens: 800}}",
    ]
    if plan:
        lines.append(f"    {plan}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def people(db):
    return {
        name: UserFactory(username=name) for name in ("ann", "bob", "cy", "eve", "vic")
    }


@pytest.fixture
def domain(db, people):
    domain = DomainFactory(slug="payments", name="Payments")
    for name in ("ann", "bob", "cy"):
        member(people[name], domain, "reviewer")
    member(people["eve"], domain, "engineer")
    member(people["vic"], domain, "viewer")
    Slo.objects.create(
        domain=domain,
        name="checkout-latency",
        objective=0.99,
        window_seconds=86400 * 28,
    )
    return domain


@pytest.fixture
def repository(domain):
    return RepositoryFactory(domain=domain, full_name=REPO, default_branch="main")


@pytest.fixture
def main_sha(fake_github, repository):
    """main holds the pins file and its prompt; the control plane has read it."""
    sha = fake_github.push(
        REPO, "main", {PINS_PATH: pins_yaml(), PROMPT_PATH: PROMPT}, author="eve"
    )
    versions.default_branch_read(repository_id=repository.pk, sha=sha)
    return sha


class People:
    """Pull requests opened by a person (their login as the author)."""

    def __init__(self, fake):
        self.fake = fake

    def open_pull(
        self,
        branch: str,
        files: dict,
        *,
        author: str = "ann",
        title: str = "Change pins",
    ):
        self.fake.push(REPO, branch, files, author=author)
        bot, self.fake.login = self.fake.login, author
        try:
            return repos.pull_open(
                REPO, head_branch=branch, base="main", title=title, body=""
            )
        finally:
            self.fake.login = bot

    def push(self, branch: str, files: dict, *, author: str = "ann") -> str:
        return self.fake.push(REPO, branch, files, author=author)

    def pull_json(self, number: int) -> dict:
        return next(p for p in self.fake.pulls(REPO) if p["number"] == number)


@pytest.fixture
def github_people(fake_github):
    return People(fake_github)


def read_pull(repository, pull_json: dict):
    """What the worker does for a pull_request delivery (opened/synchronize)."""
    return proposals.pull_request_read(
        repository_id=repository.pk,
        number=pull_json["number"],
        head_sha=pull_json["head"]["sha"],
        base_sha=pull_json["base"]["sha"],
        head_ref=pull_json["head"]["ref"],
        author=pull_json["user"]["login"],
        title=pull_json["title"],
        url=pull_json["html_url"],
    )
