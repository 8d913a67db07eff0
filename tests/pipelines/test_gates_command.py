"""python manage.py evaluate_gates: an operator re-judges a commit."""

import pytest
from django.core.management import CommandError, call_command

from pipelines.models import GateVerdict
from tests.factories import RepositoryFactory
from tests.pipelines.factories import RunFactory, results_for, sha_for

pytestmark = pytest.mark.django_db

SHA = sha_for("command")


@pytest.fixture(autouse=True)
def _github_configured(settings):
    settings.GITHUB_TOKEN = "ghp_configured"


def test_it_prints_and_stores_the_verdicts(capsys, django_capture_on_commit_callbacks):
    repo = RepositoryFactory(full_name="Acme/Pay")
    results_for(RunFactory(repository=repo, head_sha=SHA), {"a": "failed"})
    with django_capture_on_commit_callbacks(execute=False) as posts:
        call_command("evaluate_gates", "acme/pay", SHA.upper())
    out = capsys.readouterr().out
    assert "controlplane/tests: failure — 1 of 1 tests failed" in out
    assert GateVerdict.objects.get(repository=repo, sha=SHA).state == "failure"
    assert len(posts) == 1


def test_a_commit_without_data_has_no_verdict(capsys):
    RepositoryFactory(full_name="acme/empty")
    call_command("evaluate_gates", "acme/empty", SHA)
    assert "no verdict" in capsys.readouterr().out
    assert not GateVerdict.objects.exists()


def test_an_unknown_repository_says_how_to_map_it():
    with pytest.raises(CommandError, match="map_repository acme/nope"):
        call_command("evaluate_gates", "acme/nope", SHA)
