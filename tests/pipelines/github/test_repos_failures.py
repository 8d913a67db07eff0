"""`pipelines.github.repos` when GitHub fails, races or is retried: what a
caller (a Celery task) sees, and what GitHub holds afterwards."""

import pytest

from config.tasks import PermanentError, TransientError
from pipelines.github import client as github
from pipelines.github import repos

pytest_plugins = ["tests.fakes.plugin"]

REPO = "octo-org/deploys"
PINS = "deploy/pins.yaml"


@pytest.fixture
def main_sha(fake_github):
    return fake_github.push(REPO, "main", {PINS: "payments: v1\n"})


def _commit(main_sha, **overrides):
    kwargs = {
        "branch": "pins/payments",
        "base_sha": main_sha,
        "files": {PINS: "payments: v2\n"},
        "message": "Pin payments v2",
    }
    kwargs.update(overrides)
    return repos.commit_files(REPO, **kwargs)


def _posts(fake_github, suffix):
    return [
        r
        for r in fake_github.requests
        if r.method == "POST" and r.path.endswith(suffix)
    ]


def test_a_retried_commit_that_already_landed_makes_no_second_commit(
    fake_github, main_sha
):
    first = _commit(main_sha)
    again = _commit(main_sha)  # the task ran again: same files, same base

    assert again == first
    assert fake_github.branch_sha(REPO, "pins/payments") == first
    assert len(_posts(fake_github, "/git/commits")) == 1


def test_the_same_files_on_a_different_base_are_a_new_commit(fake_github, main_sha):
    first = _commit(main_sha)
    second = _commit(first, files={PINS: "payments: v3\n"})
    assert second != first
    assert repos.commit_author(REPO, second).parents == (first,)


def test_a_lost_ref_update_is_transient_and_the_retry_lands(fake_github, main_sha):
    first = _commit(main_sha)
    fake_github.fail_next("bad_gateway", path_contains="/git/refs/")

    with pytest.raises(TransientError, match="502"):
        _commit(first, files={PINS: "payments: v3\n"})
    assert fake_github.branch_sha(REPO, "pins/payments") == first  # not moved

    moved = _commit(first, files={PINS: "payments: v3\n"})
    assert fake_github.file(REPO, "pins/payments", PINS) == "payments: v3\n"
    assert repos.commit_author(REPO, moved).parents == (first,)


def test_a_branch_a_person_created_meanwhile_is_not_overwritten(fake_github, main_sha):
    """Between our read of the ref (404) and our create, a person pushes the
    branch: GitHub says "Reference already exists"; we then only fast-forward,
    which their commit forbids."""
    theirs = {}

    def person_pushes_first(request):
        if request.method == "POST" and request.path.endswith("/git/refs"):
            fake_github.before_answer = None
            theirs["sha"] = fake_github.push(
                REPO, "pins/payments", {"NOTES.md": "mine\n"}, author="hubot"
            )

    fake_github.before_answer = person_pushes_first
    with pytest.raises(PermanentError, match=r"422.*not a fast forward"):
        _commit(main_sha)

    assert fake_github.branch_sha(REPO, "pins/payments") == theirs["sha"]
    creates = _posts(fake_github, "/git/refs")
    assert [r.answered for r in creates] == [422]


def test_a_token_without_contents_write_is_permanent(fake_github, main_sha):
    fake_github.fail_next("forbidden", path_contains="/git/trees")
    with pytest.raises(PermanentError, match=r"403.*not accessible"):
        _commit(main_sha)
    assert fake_github.branch_sha(REPO, "pins/payments") is None


def test_a_secondary_rate_limit_on_opening_waits_for_retry_after(fake_github, main_sha):
    _commit(main_sha)
    fake_github.fail_next("secondary_rate_limited", path_contains="/pulls")
    with pytest.raises(TransientError) as caught:
        repos.pull_open(
            REPO, head_branch="pins/payments", base="main", title="t", body=""
        )
    assert caught.value.retry_after == 30
    assert fake_github.pulls(REPO) == []


def test_a_server_error_where_404_means_none_is_still_transient(fake_github, main_sha):
    fake_github.fail_next("bad_gateway", path_contains="/contents/")
    with pytest.raises(TransientError, match="502"):
        repos.file_at(REPO, PINS, main_sha)


def test_an_unreachable_github_is_transient_for_reads(fake_github, main_sha):
    fake_github.stop()
    with pytest.raises(TransientError, match="unreachable"):
        repos.branch_sha(REPO, "main")


def test_not_found_from_the_api_is_permanent_where_none_is_not_promised(
    fake_github, main_sha
):
    fake_github.fail_next("not_found", path_contains="/issues/")
    with pytest.raises(PermanentError, match=r"404.*Not Found"):
        repos.labels_add(REPO, 1, ["pins"])


def test_reopening_beside_an_open_pull_is_permanent(fake_github, main_sha):
    _commit(main_sha)
    first = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="t", body=""
    )
    repos.pull_update(REPO, first.number, state="closed")
    second = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="t", body=""
    )
    assert second.number != first.number
    with pytest.raises(PermanentError, match="A pull request already exists"):
        repos.pull_update(REPO, first.number, state="open")


def test_values_github_would_refuse_are_refused_before_calling(fake_github):
    with pytest.raises(PermanentError, match="not a pull request state"):
        repos.pull_update(REPO, 1, state="merged")
    with pytest.raises(PermanentError, match="empty comment"):
        repos.comment_add(REPO, 1, "  ")
    with pytest.raises(PermanentError, match="no files given"):
        repos.commit_files(REPO, branch="b", base_sha="a" * 40, files={}, message="m")
    repos.labels_add(REPO, 1, [])
    assert fake_github.requests == []


def test_a_file_over_one_megabyte_is_read_as_a_blob(fake_github):
    big = "x" * (1024 * 1024 + 10)
    sha = fake_github.push(REPO, "main", {"big.txt": big})

    found = repos.file_at(REPO, "big.txt", sha)

    assert found.content == big.encode()
    assert fake_github.requests[-1].path.startswith(f"/repos/{REPO}/git/blobs/")


def test_the_default_branch_a_person_set_is_seen(fake_github):
    fake_github.push(REPO, "trunk", {PINS: "a\n"})
    fake_github.push(REPO, "main", {PINS: "b\n"})
    fake_github.set_default_branch(REPO, "main")
    assert github.repository_get(REPO)["default_branch"] == "main"
    assert repos.file_at(REPO, PINS, "trunk").content == b"a\n"
