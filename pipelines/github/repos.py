"""Repository contents, branches, commits and pull requests, through the one
GitHub adapter (`pipelines.github.client`: its `client()`, `_call` and
`translate`).

Every GitHub failure leaves as `config.tasks.TransientError` (5xx, rate limits,
timeouts; retry) or `config.tasks.PermanentError` (401/403/404/422, with
GitHub's message), except where a function says it returns None for a 404.
Only services and tasks call these functions.

Writes go through the git data API (blob contents inside one tree with
`base_tree`, one commit, then the branch ref), so several files change in one
commit and a branch moves only by fast-forward unless `force=True`.
"""

import base64
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from github import GithubException, InputGitTreeElement
from github.GitRef import GitRef
from github.PullRequest import PullRequest

from config.tasks import PermanentError
from pipelines.github.client import _call, client, translate

logger = logging.getLogger(__name__)

PULL_STATES = ("open", "closed")
# GitHub's 422 when a pull request for the same head and base is already open.
ALREADY_EXISTS = "A pull request already exists"
REFERENCE_EXISTS = "Reference already exists"
FILE_MODE = "100644"


@dataclass(frozen=True)
class FileAt:
    path: str
    sha: str  # git blob sha
    content: bytes


@dataclass(frozen=True)
class ChangedFile:
    filename: str
    status: str  # added, removed, modified, renamed, copied, changed, unchanged
    previous_filename: str | None = None


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    author_login: str | None  # None: the author's email matches no GitHub account
    committer_login: str | None
    message: str
    parents: tuple[str, ...]


@dataclass(frozen=True)
class PullRef:
    number: int
    url: str  # html_url
    state: str  # "open" | "closed"
    merged: bool
    head_ref: str
    head_sha: str
    base_ref: str
    title: str
    body: str
    labels: tuple[str, ...]


def _github_message(exc: GithubException) -> str:
    """GitHub's message and the messages of its `errors` entries, as one text."""
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message") or "")]
    for error in data.get("errors") or []:
        parts.append(
            str(error.get("message", "")) if isinstance(error, dict) else str(error)
        )
    return " ".join(parts)


def _none_on_404(what: str, call):
    """`call()`, None when GitHub answers 404, other failures translated."""
    try:
        return call()
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise translate(exc, what=what) from exc
    except Exception as exc:
        translated = translate(exc, what=what)
        if translated is exc:
            raise
        raise translated from exc


def _ref_target(ref: GitRef) -> str | None:
    """The sha a lazily built ref points at (GET git/ref/...); None on 404.
    Reading it also gives the ref its canonical URL (git/refs/...), which
    `GitRef.edit` PATCHes."""
    try:
        return ref.object.sha
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise


def _pull_ref(pull: PullRequest) -> PullRef:
    # `merged_at`, not `merged`: list answers ("pull-request-simple") carry no
    # `merged`, and reading it would fetch every pull request again.
    return PullRef(
        number=pull.number,
        url=pull.html_url,
        state=pull.state,
        merged=pull.merged_at is not None,
        head_ref=pull.head.ref,
        head_sha=pull.head.sha,
        base_ref=pull.base.ref,
        title=pull.title or "",
        body=pull.body or "",
        labels=tuple(label.name for label in pull.labels),
    )


# --- contents and commits ---------------------------------------------------------
def file_at(repo: str, path: str, ref: str) -> FileAt | None:
    """The file at `path` as of `ref` (a commit sha, branch or tag); None when
    GitHub has no such file, ref or repository (404).

    GET /repos/{owner}/{repo}/contents/{path}?ref={ref}. A directory is a
    PermanentError; files over 1 MB (served without content) are read as a blob.
    """
    gh = client()
    what = f"reading {path} at {ref[:12]} in {repo}"
    path = path.strip("/")
    if not path:
        raise PermanentError(f"No file path given while {what}.")

    def fetch() -> FileAt:
        repository = gh.get_repo(repo)
        found = repository.get_contents(path, ref=ref)
        if isinstance(found, list) or found.type != "file":
            raise PermanentError(f"{path} is not a file at {ref[:12]} in {repo}.")
        if found.encoding == "base64":
            content = found.decoded_content
        else:  # "none": over 1 MB, the blob API has it
            blob = repository.get_git_blob(found.sha)
            content = base64.b64decode(blob.content)
        return FileAt(path=found.path, sha=found.sha, content=content)

    return _none_on_404(what, fetch)


def changed_files(repo: str, base: str, head: str) -> list[ChangedFile]:
    """The files that differ between `base` and `head` (compare API; GitHub
    lists at most 300)."""
    gh = client()

    def fetch() -> list[ChangedFile]:
        comparison = gh.get_repo(repo).compare(base, head)
        return [
            ChangedFile(
                filename=f.filename,
                status=f.status,
                previous_filename=f.previous_filename or None,
            )
            for f in comparison.files
        ]

    return _call(f"comparing {base[:12]}...{head[:12]} in {repo}", fetch)


def branch_sha(repo: str, branch: str) -> str | None:
    """The commit sha `branch` points at (GET git/ref/heads/{branch}); None on 404."""
    gh = client()
    return _none_on_404(
        f"reading branch {branch} of {repo}",
        lambda: _ref_target(gh.get_repo(repo).get_git_ref(f"heads/{branch}")),
    )


def commit_files(
    repo: str,
    *,
    branch: str,
    base_sha: str,
    files: dict[str, str | None],
    message: str,
    force: bool = False,
) -> str:
    """One commit on top of `base_sha` that writes `files` (path -> new text, or
    None to delete the path), then creates refs/heads/{branch} at it or moves the
    branch there (a fast-forward unless `force=True`). Returns the commit sha.

    Safe to retry: when the branch already holds exactly this change (same
    tree, parent `base_sha`), that commit is returned and no new one is made.
    Deleting a path `base_sha` does not hold is refused by GitHub (422). A branch
    that moved elsewhere meanwhile is a PermanentError ("not a fast forward")
    unless `force`; the commit then exists but no branch points at it.
    """
    if not files:
        raise PermanentError(
            f"Nothing to commit to {branch} in {repo}: no files given."
        )
    gh = client()
    what = f"committing {len(files)} file(s) to {branch} in {repo}"

    def write() -> str:
        repository = gh.get_repo(repo)
        parent = repository.get_git_commit(base_sha)
        elements = [
            InputGitTreeElement(path, FILE_MODE, "blob", content=text)
            if text is not None
            else InputGitTreeElement(path, FILE_MODE, "blob", sha=None)
            for path, text in sorted(files.items())
        ]
        tree = repository.create_git_tree(elements, base_tree=parent.tree)
        ref = repository.get_git_ref(f"heads/{branch}")
        current = _ref_target(ref)
        if current is not None and current != base_sha:
            head = repository.get_git_commit(current)
            if head.tree.sha == tree.sha and [p.sha for p in head.parents] == [
                base_sha
            ]:
                # The same files on the same base are already there: a retry
                # whose first attempt landed but whose answer was lost.
                return current
        commit = repository.create_git_commit(message, tree, [parent])
        if current is None:
            try:
                repository.create_git_ref(f"refs/heads/{branch}", commit.sha)
                return commit.sha
            except GithubException as exc:
                # Created by someone else between our read and our write.
                if exc.status != 422 or REFERENCE_EXISTS not in _github_message(exc):
                    raise
                ref = repository.get_git_ref(f"heads/{branch}")
                _ref_target(ref)
        ref.edit(commit.sha, force=force)
        return commit.sha

    sha = _call(what, write)
    logger.info(
        "files committed",
        extra={"repository": repo, "branch": branch, "sha": sha, "force": force},
    )
    return sha


def commit_author(repo: str, sha: str) -> CommitInfo:
    """Who wrote and who committed `sha` (GET /repos/{owner}/{repo}/commits/{sha})."""
    gh = client()

    def fetch() -> CommitInfo:
        commit = gh.get_repo(repo).get_commit(sha)
        author, committer = commit.author, commit.committer
        return CommitInfo(
            sha=commit.sha,
            author_login=author.login if author is not None else None,
            committer_login=committer.login if committer is not None else None,
            message=commit.commit.message,
            parents=tuple(p.sha for p in commit.parents),
        )

    return _call(f"reading commit {sha[:12]} of {repo}", fetch)


# --- pull requests ------------------------------------------------------------------
def _owner(repo: str) -> str:
    return repo.split("/", 1)[0]


def pull_find(repo: str, *, head_branch: str) -> PullRef | None:
    """The most recently created pull request (open or closed) whose head is
    `owner:head_branch` in `repo`; None when there is none."""
    gh = client()

    def find() -> PullRef | None:
        pulls = gh.get_repo(repo).get_pulls(
            state="all",
            head=f"{_owner(repo)}:{head_branch}",
            sort="created",
            direction="desc",
        )
        newest = None
        for pull in pulls:  # GitHub sorts; we check, the list is short
            if newest is None or pull.number > newest.number:
                newest = pull
        return _pull_ref(newest) if newest is not None else None

    return _call(f"finding the pull request from {head_branch} in {repo}", find)


def pull_get(repo: str, number: int) -> PullRef:
    """Pull request `number` (GET /repos/{owner}/{repo}/pulls/{number})."""
    gh = client()

    def fetch() -> PullRef:
        pull = gh.get_repo(repo).get_pull(number)
        pull.complete()
        return _pull_ref(pull)

    return _call(f"reading pull request #{number} of {repo}", fetch)


def pull_open(
    repo: str,
    *,
    head_branch: str,
    base: str,
    title: str,
    body: str,
    labels: Sequence[str] = (),
) -> PullRef:
    """Open a pull request from `head_branch` into `base` and add `labels`.

    When one is already open for that branch (GitHub's 422 "A pull request
    already exists"), that one is returned (with `labels` added) instead.
    """
    gh = client()
    what = f"opening a pull request from {head_branch} into {base} in {repo}"

    def create() -> PullRef | None:
        try:
            pull = gh.get_repo(repo).create_pull(
                base=base, head=head_branch, title=title, body=body
            )
        except GithubException as exc:
            if exc.status == 422 and ALREADY_EXISTS in _github_message(exc):
                return None
            raise
        return _pull_ref(pull)

    pull = _call(what, create)
    if pull is None:
        pull = pull_find(repo, head_branch=head_branch)
        if pull is None or pull.state != "open":
            raise PermanentError(
                f"GitHub says a pull request from {head_branch} already exists in "
                f"{repo}, but none is open."
            )
    else:
        logger.info(
            "pull request opened",
            extra={"repository": repo, "number": pull.number, "branch": head_branch},
        )
    missing = [label for label in labels if label not in pull.labels]
    if missing:
        labels_add(repo, pull.number, missing)
        pull = dataclasses.replace(pull, labels=(*pull.labels, *missing))
    return pull


def pull_update(
    repo: str,
    number: int,
    *,
    title: str | None = None,
    body: str | None = None,
    state: str | None = None,
) -> PullRef:
    """Change a pull request's title, body or state ("closed" closes it, "open"
    reopens it) (PATCH /repos/{owner}/{repo}/pulls/{number}); the pull request
    as GitHub holds it afterwards."""
    if state is not None and state not in PULL_STATES:
        raise PermanentError(
            f"{state!r} is not a pull request state; use one of {PULL_STATES}."
        )
    changes = {
        k: v
        for k, v in {"title": title, "body": body, "state": state}.items()
        if v is not None
    }
    if not changes:
        return pull_get(repo, number)
    gh = client()

    def edit() -> PullRef:
        pull = gh.get_repo(repo).get_pull(number)
        pull.edit(**changes)
        return _pull_ref(pull)

    pull = _call(f"updating pull request #{number} of {repo}", edit)
    logger.info(
        "pull request updated",
        extra={"repository": repo, "number": number, "fields": sorted(changes)},
    )
    return pull


def labels_add(repo: str, number: int, labels: Sequence[str]) -> None:
    """Add `labels` to pull request (or issue) `number`; GitHub creates labels it
    does not know yet (POST /repos/{owner}/{repo}/issues/{number}/labels)."""
    labels = [label for label in labels if label]
    if not labels:
        return
    gh = client()
    _call(
        f"labelling #{number} of {repo}",
        lambda: gh.get_repo(repo).get_issue(number).add_to_labels(*labels),
    )


def comment_add(repo: str, number: int, body: str) -> int:
    """Comment on pull request (or issue) `number`; the comment's id
    (POST /repos/{owner}/{repo}/issues/{number}/comments)."""
    if not body.strip():
        raise PermanentError(
            f"An empty comment cannot be posted to #{number} of {repo}."
        )
    gh = client()
    return _call(
        f"commenting on #{number} of {repo}",
        lambda: gh.get_repo(repo).get_issue(number).create_comment(body).id,
    )


def comment_add_once(repo: str, number: int, body: str, *, marker: str) -> int:
    """Comment on pull request (or issue) `number` unless a comment holding
    `marker` is there already; the comment's id either way. `marker` goes into
    the body as an HTML comment (invisible on GitHub), so a retry after a lost
    answer, or after a later step failed, never posts the same thing twice
    (GET then POST /repos/{owner}/{repo}/issues/{number}/comments)."""
    tag = f"<!-- {marker} -->"
    gh = client()

    def existing() -> int | None:
        for comment in gh.get_repo(repo).get_issue(number).get_comments():
            if tag in (comment.body or ""):
                return comment.id
        return None

    found = _call(f"reading the comments of #{number} of {repo}", existing)
    if found is not None:
        return found
    return comment_add(repo, number, f"{body}\n\n{tag}")
