"""Posting one verdict to GitHub (the task's service), against the fake GitHub."""

import pytest
from django.db import connection
from django.utils import timezone

from config.tasks import PermanentError, TransientError
from pipelines.gates.services import gates
from pipelines.models import GateVerdict
from tests.factories import DomainFactory, RepositoryFactory
from tests.pipelines.factories import sha_for

pytest_plugins = ["tests.fakes.plugin"]

SHA = sha_for("post")


def make_verdict(**fields):
    repo = RepositoryFactory(domain=DomainFactory(slug="paiements"), full_name="o/r")
    now = timezone.now()
    values = {"state": "failure", "description": "1 of 2 tests failed", **fields}
    return GateVerdict.objects.create(
        domain=repo.domain,
        repository=repo,
        sha=SHA,
        context="controlplane/tests",
        evaluated_at=now,
        changed_at=now,
        **values,
    )


@pytest.mark.django_db
def test_posting_records_what_github_accepted(fake_github, settings):
    settings.PUBLIC_BASE_URL = "https://cp.example.org/"
    verdict = make_verdict()
    assert gates.gate_status_post(verdict_id=verdict.pk) is True
    verdict.refresh_from_db()
    assert (verdict.posted_state, verdict.posted_description) == (
        "failure",
        "1 of 2 tests failed",
    )
    assert verdict.posted_at is not None and verdict.is_posted
    [sent] = fake_github.statuses("o/r", SHA)
    assert sent["target_url"] == (
        f"https://cp.example.org/d/paiements/commits/{SHA}/?repository=o/r"
    )


@pytest.mark.django_db
def test_a_verdict_github_already_has_is_not_posted_again(fake_github):
    verdict = make_verdict(
        posted_state="failure", posted_description="1 of 2 tests failed"
    )
    assert gates.gate_status_post(verdict_id=verdict.pk) is False
    assert fake_github.requests == []


@pytest.mark.django_db
def test_a_deleted_verdict_is_nothing_to_post(fake_github):
    assert gates.gate_status_post(verdict_id=987654) is False
    assert fake_github.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "error"),
    [("validation", PermanentError), ("bad_gateway", TransientError)],
)
def test_a_failed_post_keeps_the_error_on_the_verdict(fake_github, mode, error):
    verdict = make_verdict()
    fake_github.fail_next(mode)
    with pytest.raises(error):
        gates.gate_status_post(verdict_id=verdict.pk)
    verdict.refresh_from_db()
    assert verdict.posted_at is None
    assert ("422" if mode == "validation" else "502") in verdict.post_error


@pytest.mark.django_db(transaction=True)
def test_a_verdict_that_changed_during_the_post_is_posted_again(
    fake_github, monkeypatch
):
    verdict = make_verdict(state="pending", description="waiting for 1 report")

    def judged_meanwhile(request):
        GateVerdict.objects.filter(pk=verdict.pk).update(
            state="failure", description="1 of 2 tests failed"
        )
        connection.close()  # this thread's connection: the server thread's

    fake_github.before_answer = judged_meanwhile
    sent = []
    from pipelines.gates.tasks import gate_status_post_task

    monkeypatch.setattr(
        gate_status_post_task, "apply_async", lambda args, kwargs: sent.append(args)
    )
    gates.gate_status_post(verdict_id=verdict.pk)
    assert sent == [(verdict.pk,)]  # the newer verdict goes out next
    verdict.refresh_from_db()
    assert verdict.posted_state == "pending" and not verdict.is_posted
