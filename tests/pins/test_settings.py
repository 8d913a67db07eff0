"""Pins' own settings, set by an operator: the pins file's path per repository
(read from there) and the approvals a domain requires (asked of proposals)."""

import pytest
from django.core.management import CommandError, call_command

from pipelines.pins.models import Pin
from pipelines.pins.services import versions
from tests.pins.conftest import PROMPT, PROMPT_PATH, REPO, pins_yaml, read_pull

pytest_plugins = ["tests.fakes.plugin"]
pytestmark = pytest.mark.django_db


def test_the_path_is_configurable_per_repository(repository, fake_github, capsys):
    call_command("pins_settings", repository=REPO, path="ai/pins.yml")
    assert "acme/payments-api: pins file ai/pins.yml" in capsys.readouterr().out
    sha = fake_github.push(
        REPO, "main", {"ai/pins.yml": pins_yaml(), PROMPT_PATH: PROMPT}
    )
    versions.default_branch_read(repository_id=repository.pk, sha=sha)
    assert Pin.objects.filter(repository=repository, pin_id="checkout-summary").exists()
    with pytest.raises(CommandError, match="not a file path"):
        call_command("pins_settings", repository=REPO, path="../x")


def test_a_domain_may_require_more_approvals(
    repository, main_sha, github_people, capsys
):
    call_command("pins_settings", domain="payments", approvals=2)
    assert "payments: 2 approval(s) required" in capsys.readouterr().out
    pull = github_people.open_pull("t", {PROMPT_PATH: PROMPT + "Hi\n"})
    proposal = read_pull(repository, github_people.pull_json(pull.number))
    assert proposal.review_reason == "0 of 2 approvals"
    with pytest.raises(CommandError, match="from 1 to 10"):
        call_command("pins_settings", domain="payments", approvals=0)
