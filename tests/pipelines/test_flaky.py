"""Flaky tests: failed and passed on the same commit, across attempts or runs."""

import pytest

from pipelines.gates.services.flaky import flaky_tests_record
from pipelines.models import FlakyOccurrence, FlakyTest
from tests.factories import RepositoryFactory
from tests.pipelines.factories import RunFactory, results_for, sha_for

pytestmark = pytest.mark.django_db

SHA = sha_for("flaky")


@pytest.fixture
def repo():
    return RepositoryFactory()


def test_failed_in_one_workflow_and_passed_in_another_is_flaky(repo):
    results_for(
        RunFactory(repository=repo, head_sha=SHA, workflow="unit"), {"t": "failed"}
    )
    results_for(
        RunFactory(repository=repo, head_sha=SHA, workflow="nightly"), {"t": "passed"}
    )
    [flaky] = flaky_tests_record(repository=repo, sha=SHA)
    assert flaky.name == "t" and flaky.classname.startswith("tests.test_paiements")
    occurrence = FlakyOccurrence.objects.get(flaky_test=flaky)
    assert (occurrence.failed, occurrence.passed, occurrence.sha) == (1, 1, SHA)


def test_an_error_then_a_pass_is_flaky_but_skipped_then_passed_is_not(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"errored": "error", "skipped": "skipped"})
    results_for(run, {"errored": "passed", "skipped": "passed"})
    assert [f.name for f in flaky_tests_record(repository=repo, sha=SHA)] == ["errored"]


def test_the_same_name_in_another_repository_is_another_test(repo):
    other = RepositoryFactory(domain=repo.domain)
    results_for(RunFactory(repository=repo, head_sha=SHA), {"t": "failed"})
    results_for(RunFactory(repository=other, head_sha=SHA), {"t": "passed"})
    assert flaky_tests_record(repository=repo, sha=SHA) == []
    assert flaky_tests_record(repository=other, sha=SHA) == []


def test_recording_a_commit_twice_counts_it_once(repo):
    run = RunFactory(repository=repo, head_sha=SHA)
    results_for(run, {"t": "failed"})
    results_for(run, {"t": "passed"})
    flaky_tests_record(repository=repo, sha=SHA)
    results_for(run, {"t": "failed"})  # a re-run on the same commit
    flaky_tests_record(repository=repo, sha=SHA)
    flaky = FlakyTest.objects.get()
    assert flaky.flip_count == 1
    assert FlakyOccurrence.objects.get().failed == 2


def test_the_list_puts_the_latest_flip_first(repo):
    for i, name in enumerate(["old", "new"]):
        sha = sha_for(f"c{i}")
        run = RunFactory(repository=repo, head_sha=sha)
        results_for(run, {name: "failed"})
        results_for(run, {name: "passed"})
        flaky_tests_record(repository=repo, sha=sha)
    from pipelines.gates.selectors import flaky_tests_of

    names = [
        f.name for f in flaky_tests_of(repo.domain).order_by("-last_seen_at", "-id")
    ]
    assert names == ["new", "old"]
