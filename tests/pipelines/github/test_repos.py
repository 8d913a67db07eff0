"""`pipelines.github.repos` through the real PyGithub client against the fake
GitHub (a real HTTP server): contents, compare, branches, commits, pull requests,
labels and comments, and GitHub's failures as Transient/PermanentError."""

import pytest

from config.tasks import PermanentError, TransientError
from pipelines.github import repos

pytest_plugins = ["tests.fakes.plugin"]

REPO = "octo-org/deploys"
PINS = "deploy/pins.yaml"


@pytest.fixture
def main_sha(fake_github):
    """A repository with a first commit on main by a person."""
    return fake_github.push(
        REPO,
        "main",
        {PINS: "payments: v1\n", "README.md": "# deploys\n"},
        message="Initial pins",
    )


# --- contents -------------------------------------------------------------------
def test_a_file_at_an_exact_sha_is_that_version(fake_github, main_sha):
    second = fake_github.push(REPO, "main", {PINS: "payments: v2\n"})

    old = repos.file_at(REPO, PINS, main_sha)
    new = repos.file_at(REPO, PINS, second)

    assert old.content == b"payments: v1\n"
    assert new.content == b"payments: v2\n"
    assert old.sha != new.sha and old.path == PINS
    # A branch name reads the branch's current version.
    assert repos.file_at(REPO, PINS, "main") == new
    assert fake_github.requests[-1].query == {"ref": "main"}


def test_the_blob_sha_is_gits_own(fake_github, main_sha):
    # git hash-object of "payments: v1\n"
    import hashlib

    data = b"payments: v1\n"
    expected = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324
    assert repos.file_at(REPO, PINS, main_sha).sha == expected


def test_a_missing_file_ref_or_repository_is_none(fake_github, main_sha):
    assert repos.file_at(REPO, "deploy/absent.yaml", main_sha) is None
    assert repos.file_at(REPO, PINS, "no-such-branch") is None
    assert repos.file_at("octo-org/absent", PINS, "main") is None
    assert fake_github.requests[-1].answered == 404


def test_a_directory_is_not_a_file(fake_github, main_sha):
    with pytest.raises(PermanentError, match="not a file"):
        repos.file_at(REPO, "deploy", main_sha)


# --- compare and commits ---------------------------------------------------------
def test_changed_files_lists_what_differs(fake_github, main_sha):
    head = fake_github.push(
        REPO,
        "main",
        {PINS: "payments: v2\n", "deploy/new.yaml": "x: 1\n", "README.md": None},
    )

    changed = repos.changed_files(REPO, main_sha, head)

    assert sorted((c.filename, c.status) for c in changed) == [
        ("README.md", "removed"),
        ("deploy/new.yaml", "added"),
        (PINS, "modified"),
    ]
    assert repos.changed_files(REPO, head, head) == []


def test_a_rename_names_the_previous_file(fake_github, main_sha):
    head = fake_github.push(
        REPO, "main", {"docs/README.md": "# deploys\n", "README.md": None}
    )
    [renamed] = repos.changed_files(REPO, main_sha, head)
    assert renamed == repos.ChangedFile("docs/README.md", "renamed", "README.md")


def test_comparing_with_an_unknown_sha_is_permanent(fake_github, main_sha):
    with pytest.raises(PermanentError, match="404"):
        repos.changed_files(REPO, main_sha, "f" * 40)


def test_branch_sha_reads_the_branch_and_none_when_absent(fake_github, main_sha):
    assert repos.branch_sha(REPO, "main") == main_sha
    assert repos.branch_sha(REPO, "pins/payments") is None


def test_commit_author_tells_a_person_from_the_control_plane(fake_github, main_sha):
    person = repos.commit_author(REPO, main_sha)
    assert person == repos.CommitInfo(
        sha=main_sha,
        author_login="octocat",
        committer_login="octocat",
        message="Initial pins",
        parents=(),
    )
    ours = repos.commit_files(
        REPO, branch="main", base_sha=main_sha, files={PINS: "v9\n"}, message="Pin v9"
    )
    info = repos.commit_author(REPO, ours)
    assert info.author_login == fake_github.login != "octocat"
    assert info.parents == (main_sha,) and info.message == "Pin v9"


def test_commit_author_of_an_unknown_sha_is_permanent(fake_github, main_sha):
    with pytest.raises(PermanentError, match=r"422.*No commit found for SHA"):
        repos.commit_author(REPO, "0" * 40)


# --- writing files ---------------------------------------------------------------
def test_commit_files_creates_a_branch_then_moves_it(fake_github, main_sha):
    first = repos.commit_files(
        REPO,
        branch="pins/payments",
        base_sha=main_sha,
        files={PINS: "payments: v2\n", "deploy/extra.yaml": "a: 1\n"},
        message="Pin payments v2",
    )
    assert fake_github.branch_sha(REPO, "pins/payments") == first
    assert fake_github.file(REPO, "pins/payments", PINS) == "payments: v2\n"
    assert fake_github.file(REPO, "pins/payments", "README.md") == "# deploys\n"
    assert fake_github.branch_sha(REPO, "main") == main_sha  # untouched

    # A second commit on top: a fast-forward, with a deletion.
    second = repos.commit_files(
        REPO,
        branch="pins/payments",
        base_sha=first,
        files={"deploy/extra.yaml": None, PINS: "payments: v3\n"},
        message="Pin payments v3",
    )
    assert repos.branch_sha(REPO, "pins/payments") == second
    assert fake_github.file(REPO, second, "deploy/extra.yaml") is None
    assert fake_github.file(REPO, second, PINS) == "payments: v3\n"
    assert repos.commit_author(REPO, second).parents == (first,)


def test_moving_a_branch_backwards_needs_force(fake_github, main_sha):
    ahead = repos.commit_files(
        REPO, branch="pins/p", base_sha=main_sha, files={PINS: "v2\n"}, message="v2"
    )
    with pytest.raises(PermanentError, match=r"422.*Update is not a fast forward"):
        repos.commit_files(
            REPO, branch="pins/p", base_sha=main_sha, files={PINS: "v3\n"}, message="v3"
        )
    assert fake_github.branch_sha(REPO, "pins/p") == ahead

    forced = repos.commit_files(
        REPO,
        branch="pins/p",
        base_sha=main_sha,
        files={PINS: "v3\n"},
        message="v3",
        force=True,
    )
    assert fake_github.branch_sha(REPO, "pins/p") == forced
    assert repos.commit_author(REPO, forced).parents == (main_sha,)


def test_deleting_a_path_the_base_does_not_hold_is_permanent(fake_github, main_sha):
    with pytest.raises(PermanentError, match="422"):
        repos.commit_files(
            REPO, branch="x", base_sha=main_sha, files={"nope.txt": None}, message="m"
        )
    assert fake_github.branch_sha(REPO, "x") is None


def test_committing_on_an_unknown_base_is_permanent(fake_github, main_sha):
    with pytest.raises(PermanentError, match="404"):
        repos.commit_files(
            REPO, branch="x", base_sha="a" * 40, files={PINS: "v\n"}, message="m"
        )


# --- pull requests ---------------------------------------------------------------
def _branch(fake_github, main_sha, name="pins/payments", text="payments: v2\n"):
    return repos.commit_files(
        REPO, branch=name, base_sha=main_sha, files={PINS: text}, message="Pin"
    )


def test_pull_open_opens_with_labels(fake_github, main_sha):
    head = _branch(fake_github, main_sha)

    pull = repos.pull_open(
        REPO,
        head_branch="pins/payments",
        base="main",
        title="Pin payments v2",
        body="Pinned by the control plane.",
        labels=["controlplane", "pins"],
    )

    assert pull.state == "open" and not pull.merged
    assert (pull.head_ref, pull.head_sha, pull.base_ref) == (
        "pins/payments",
        head,
        "main",
    )
    assert pull.url == f"https://github.com/{REPO}/pull/{pull.number}"
    assert pull.labels == ("controlplane", "pins")
    [held] = fake_github.pulls(REPO)
    assert held["title"] == "Pin payments v2"
    assert [label["name"] for label in held["labels"]] == ["controlplane", "pins"]
    assert repos.pull_get(REPO, pull.number) == pull


def test_pull_open_twice_returns_the_open_one(fake_github, main_sha):
    _branch(fake_github, main_sha)
    first = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="t", body="b"
    )
    again = repos.pull_open(
        REPO,
        head_branch="pins/payments",
        base="main",
        title="t2",
        body="b2",
        labels=["pins"],
    )
    assert again.number == first.number
    assert again.labels == ("pins",)
    assert len(fake_github.pulls(REPO)) == 1
    creates = [
        r
        for r in fake_github.requests
        if r.method == "POST" and r.path.endswith("/pulls")
    ]
    assert [r.answered for r in creates] == [201, 422]


def test_pull_find_returns_the_newest_of_any_state(fake_github, main_sha):
    assert repos.pull_find(REPO, head_branch="pins/payments") is None
    _branch(fake_github, main_sha)
    first = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="a", body=""
    )
    fake_github.close_pull(REPO, first.number)
    closed = repos.pull_find(REPO, head_branch="pins/payments")
    assert closed.number == first.number and closed.state == "closed"

    second = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="b", body=""
    )
    assert second.number != first.number
    assert repos.pull_find(REPO, head_branch="pins/payments").number == second.number
    # Another branch's pull request is not this one's.
    assert repos.pull_find(REPO, head_branch="pins/other") is None


def test_pull_update_edits_closes_and_reopens(fake_github, main_sha):
    _branch(fake_github, main_sha)
    pull = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="a", body=""
    )

    edited = repos.pull_update(REPO, pull.number, title="Pin v3", body="now v3")
    assert (edited.title, edited.body, edited.state) == ("Pin v3", "now v3", "open")

    closed = repos.pull_update(REPO, pull.number, state="closed")
    assert closed.state == "closed" and not closed.merged
    assert fake_github.pulls(REPO)[0]["state"] == "closed"

    reopened = repos.pull_update(REPO, pull.number, state="open")
    assert reopened.state == "open"
    assert repos.pull_get(REPO, pull.number).state == "open"


def test_a_head_that_moves_is_seen_on_the_open_pull(fake_github, main_sha):
    _branch(fake_github, main_sha)
    pull = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="a", body=""
    )
    pushed = fake_github.push(REPO, "pins/payments", {PINS: "payments: v4\n"})
    assert repos.pull_get(REPO, pull.number).head_sha == pushed


def test_a_merge_by_a_person_is_seen(fake_github, main_sha):
    head = _branch(fake_github, main_sha)
    pull = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="a", body=""
    )

    merged_sha = fake_github.merge_pull(REPO, pull.number)

    assert merged_sha == head  # base had not moved: a fast-forward
    seen = repos.pull_get(REPO, pull.number)
    assert seen.state == "closed" and seen.merged
    assert repos.pull_find(REPO, head_branch="pins/payments").merged
    assert repos.branch_sha(REPO, "main") == head
    assert repos.file_at(REPO, PINS, "main").content == b"payments: v2\n"
    with pytest.raises(PermanentError, match=r"422.*merged"):
        repos.pull_update(REPO, pull.number, state="open")


def test_a_merge_after_base_moved_makes_a_merge_commit(fake_github, main_sha):
    head = _branch(fake_github, main_sha)
    pull = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="a", body=""
    )
    moved = fake_github.push(REPO, "main", {"README.md": "# changed\n"})

    merged_sha = fake_github.merge_pull(REPO, pull.number)

    info = repos.commit_author(REPO, merged_sha)
    assert info.parents == (moved, head)
    assert fake_github.commit(REPO, merged_sha)["commit"]["message"].startswith(
        f"Merge pull request #{pull.number}"
    )
    assert info.committer_login == "web-flow"
    assert fake_github.file(REPO, "main", PINS) == "payments: v2\n"
    assert fake_github.file(REPO, "main", "README.md") == "# changed\n"


def test_labels_and_comments(fake_github, main_sha):
    _branch(fake_github, main_sha)
    pull = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="a", body=""
    )

    repos.labels_add(REPO, pull.number, ["drift"])
    repos.labels_add(REPO, pull.number, ["drift", "urgent"])
    first = repos.comment_add(REPO, pull.number, "Rollout started.")
    second = repos.comment_add(REPO, pull.number, "Rollout done.")

    assert repos.pull_get(REPO, pull.number).labels == ("drift", "urgent")
    assert fake_github.comments(REPO, pull.number) == [
        "Rollout started.",
        "Rollout done.",
    ]
    assert isinstance(first, int) and second != first


def test_a_comment_on_a_missing_pull_is_permanent(fake_github, main_sha):
    with pytest.raises(PermanentError, match="404"):
        repos.comment_add(REPO, 99, "hello")


# --- failures ----------------------------------------------------------------------
def test_rate_limited_is_transient_with_retry_after(fake_github, main_sha):
    fake_github.rate_limit_reset_in = 90
    fake_github.fail_next("rate_limited")
    with pytest.raises(TransientError, match="rate limit") as caught:
        repos.file_at(REPO, PINS, main_sha)
    assert 80 <= caught.value.retry_after <= 91


def test_a_bad_gateway_is_transient_even_where_404_is_none(fake_github, main_sha):
    fake_github.fail_next("bad_gateway")
    with pytest.raises(TransientError, match="502"):
        repos.branch_sha(REPO, "main")


def test_bad_credentials_are_permanent(fake_github, main_sha, settings):
    settings.GITHUB_TOKEN = "ghp_wrong"
    with pytest.raises(PermanentError, match=r"401.*Bad credentials"):
        repos.file_at(REPO, PINS, main_sha)


def test_a_missing_repository_is_permanent_for_pull_requests(fake_github):
    with pytest.raises(PermanentError, match=r"404.*Not Found"):
        repos.pull_get("octo-org/absent", 1)


def test_a_pull_from_an_unknown_branch_is_permanent(fake_github, main_sha):
    with pytest.raises(PermanentError, match=r"422.*Validation Failed.*head"):
        repos.pull_open(REPO, head_branch="nope", base="main", title="a", body="")


# --- cost: each function is as few requests as GitHub allows ----------------------
def test_each_read_is_one_request(fake_github, main_sha):
    _branch(fake_github, main_sha)
    number = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="a", body=""
    ).number
    calls = [
        lambda: repos.file_at(REPO, PINS, main_sha),
        lambda: repos.changed_files(REPO, main_sha, "pins/payments"),
        lambda: repos.branch_sha(REPO, "main"),
        lambda: repos.commit_author(REPO, main_sha),
        lambda: repos.pull_find(REPO, head_branch="pins/payments"),
        lambda: repos.pull_get(REPO, number),
        lambda: repos.pull_update(REPO, number, title="b"),
        lambda: repos.labels_add(REPO, number, ["pins"]),
        lambda: repos.comment_add(REPO, number, "hi"),
    ]
    for call in calls:
        before = len(fake_github.requests)
        call()
        assert len(fake_github.requests) == before + 1, call


def test_a_status_on_a_commit_the_repository_lacks_is_refused(fake_github, main_sha):
    from pipelines.github import client as github

    github.commit_status_create(
        REPO, main_sha, state="success", context="cp/pins", description="ok"
    )
    with pytest.raises(PermanentError, match="No commit found for SHA"):
        github.commit_status_create(
            REPO, "b" * 40, state="success", context="cp/pins", description="ok"
        )
    assert [s["sha"] for s in fake_github.statuses(REPO)] == [main_sha]


def test_a_pull_with_nothing_to_merge_is_permanent(fake_github, main_sha):
    _branch(fake_github, main_sha)
    number = repos.pull_open(
        REPO, head_branch="pins/payments", base="main", title="t", body=""
    ).number
    fake_github.merge_pull(REPO, number)  # main now holds the branch
    with pytest.raises(
        PermanentError, match="No commits between main and pins/payments"
    ):
        repos.pull_open(
            REPO, head_branch="pins/payments", base="main", title="t", body=""
        )


def test_a_branch_name_with_a_slash_reads_and_compares(fake_github, main_sha):
    head = _branch(fake_github, main_sha, name="pins/payments/eu", text="eu: v2\n")
    assert repos.file_at(REPO, PINS, "pins/payments/eu").content == b"eu: v2\n"
    assert repos.branch_sha(REPO, "pins/payments/eu") == head
    assert [
        c.filename for c in repos.changed_files(REPO, "main", "pins/payments/eu")
    ] == [PINS]
