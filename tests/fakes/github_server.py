"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that answers the calls
the control plane makes the way api.github.com documents them, records every
request, and can be told to fail the next calls with GitHub's own error answers.

Served (under /repos/{owner}/{repo}): GET the repository; POST statuses/{sha};
GET commits/{ref}; GET contents/{path}?ref=; GET compare/{base}...{head};
GET git/ref/{ref}, POST git/refs, PATCH/DELETE git/refs/{ref}; GET git/blobs/{sha};
POST git/trees; GET/POST git/commits; GET/POST pulls, GET/PATCH pulls/{number};
POST issues/{number}/labels; GET/POST issues/{number}/comments.

Each repository holds a small in-memory git (blobs, flat trees, commits, branch
refs), pull requests, labels and comments. Tests act as people through `push`,
`merge_pull`, `close_pull` and `set_default_branch`, and read what GitHub holds
through `file`, `branch_sha`, `commit`, `pulls`, `comments` and `statuses`.
"""

import base64
import hashlib
import json
import re
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DOCS = "https://docs.github.com/rest"
STATUS_STATES = {"error", "failure", "pending", "success"}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    query: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Failure:
    """One scripted answer: `mode` for the next `times` matching requests."""

    mode: str
    times: int
    path_contains: str = ""
    method: str = ""  # "" matches every method


# mode -> (status, body, extra headers); rate-limit headers are added per answer.
def _error_answer(mode: str, path: str) -> tuple[int, Any, dict[str, str]]:
    if mode == "bad_credentials":
        return (
            401,
            {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"},
            {},
        )
    if mode == "not_found":
        return (
            404,
            {
                "message": "Not Found",
                "documentation_url": f"{DOCS}/commits/statuses#create-a-commit-status",
                "status": "404",
            },
            {},
        )
    if mode == "validation":
        return (
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {
                        "resource": "Status",
                        "code": "custom",
                        "field": "sha",
                        "message": "No commit found for SHA",
                    }
                ],
                "documentation_url": f"{DOCS}/commits/statuses#create-a-commit-status",
                "status": "422",
            },
            {},
        )
    if mode == "rate_limited":
        return (
            403,
            {
                "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.",
                "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
                "status": "403",
            },
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Used": "5000"},
        )
    if mode == "secondary_rate_limited":
        return (
            403,
            {
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": "403",
            },
            {"Retry-After": "30"},
        )
    if mode == "bad_gateway":
        # GitHub's edge answers 502 with an HTML page, not JSON.
        return 502, "<html><body><h1>502 Bad Gateway</h1>Unicorn!</body></html>", {}
    if mode == "forbidden":
        return (
            403,
            {
                "message": "Resource not accessible by integration",
                "documentation_url": DOCS,
                "status": "403",
            },
            {},
        )
    raise ValueError(f"unknown failure mode {mode!r}")


_REPO = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)$")
_COMMIT = re.compile(
    r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/commits/(?P<sha>[^/]+)$"
)
_STATUSES = re.compile(
    r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/statuses/(?P<sha>[^/]+)$"
)
# Everything else under a repository: /repos/{owner}/{repo}/{rest}.
_UNDER_REPO = re.compile(r"^/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?P<rest>.+)$")

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's empty tree
WEB_FLOW = "web-flow"  # GitHub's committer for merges made on github.com


def _not_found(doc: str = "") -> tuple[int, Any, dict]:
    return (
        404,
        {"message": "Not Found", "documentation_url": f"{DOCS}{doc}", "status": "404"},
        {},
    )


def _unprocessable(
    message: str, doc: str, errors: list | None = None
) -> tuple[int, Any, dict]:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    body.update({"documentation_url": f"{DOCS}{doc}", "status": "422"})
    return 422, body, {}


def _blob_sha(content: bytes) -> str:
    # The real git object id, so a blob sha means the same thing as on GitHub.
    return hashlib.sha1(  # nosec B324 # git's object id, not a secret
        b"blob %d\0" % len(content) + content, usedforsecurity=False
    ).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class _Commit:
    sha: str
    tree: str
    parents: list[str]
    message: str
    author: str  # login
    committer: str  # login
    date: str


@dataclass
class _Pull:
    number: int
    id: int
    head: str  # branch in the same repository
    base: str
    title: str
    body: str | None
    user: str
    state: str = "open"
    head_sha: str = ""  # frozen when closed
    base_sha: str = ""
    labels: list[str] = field(default_factory=list)
    created_at: str = ""
    updated_at: str = ""
    closed_at: str | None = None
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None


@dataclass
class _Repo:
    full_name: str
    default_branch: str = "main"
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)  # flat: path -> blob
    commits: dict[str, _Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # branch -> commit sha
    pulls: dict[int, _Pull] = field(default_factory=dict)
    comments: dict[int, list[dict]] = field(default_factory=dict)
    next_number: int = 1


@dataclass
class FakeGitHub:
    token: str = "ghp_fake0123456789abcdefghijklmnopqrstuv"
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    missing_repos: set[str] = field(default_factory=set)
    rate_limit_reset_in: int = 42
    # The account the token belongs to: author of what the API writes.
    login: str = "controlplane-bot"
    repos: dict[str, "_Repo"] = field(default_factory=dict)
    # Called with each request before it is answered (runs in the server thread):
    # lets a test change the world while "GitHub" is busy.
    before_answer: Callable[[RecordedRequest], None] | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _next_id: int = 1000

    # --- control ---------------------------------------------------------------
    def start(self) -> "FakeGitHub":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def do_PATCH(self) -> None:
                fake._handle(self)

            def do_PUT(self) -> None:
                fake._handle(self)

            def do_DELETE(self) -> None:
                fake._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(
        self, mode: str, *, times: int = 1, path_contains: str = "", method: str = ""
    ) -> None:
        """Answer the next `times` requests (whose path contains `path_contains`,
        of `method` when given) with GitHub's answer for `mode`: bad_credentials,
        not_found, validation, rate_limited, secondary_rate_limited, forbidden,
        bad_gateway."""
        _error_answer(mode, "")  # unknown modes fail here, in the test
        with self._lock:
            self.failures.append(Failure(mode, times, path_contains, method.upper()))

    def statuses(
        self, full_name: str | None = None, sha: str | None = None
    ) -> list[dict]:
        """Commit statuses GitHub accepted (201), oldest first."""
        found = []
        with self._lock:
            recorded = list(self.requests)
        for req in recorded:
            match = _STATUSES.match(req.path)
            if req.method != "POST" or not match or getattr(req, "answered", 0) != 201:
                continue
            if (
                full_name
                and f"{match['owner']}/{match['repo']}".lower() != full_name.lower()
            ):
                continue
            if sha and match["sha"] != sha:
                continue
            found.append(
                {
                    **req.body,
                    "sha": match["sha"],
                    "repository": f"{match['owner']}/{match['repo']}",
                }
            )
        return found

    # --- serving -----------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        path, _, query = handler.path.partition("?")
        record = RecordedRequest(
            handler.command,
            path,
            dict(handler.headers.items()),
            body,
            dict(urllib.parse.parse_qsl(query, keep_blank_values=True)),
        )
        with self._lock:
            self.requests.append(record)
            failure = next(
                (
                    f
                    for f in self.failures
                    if f.times > 0
                    and f.path_contains in path
                    and f.method in ("", handler.command)
                ),
                None,
            )
            if failure is not None:
                failure.times -= 1
        if self.before_answer is not None:
            self.before_answer(record)
        if failure is not None:
            status, payload, headers = _error_answer(failure.mode, path)
        else:
            try:
                status, payload, headers = self._answer(record)
            except Exception as exc:  # a bug in the fake: say so, loudly
                traceback.print_exc()
                status, payload, headers = (
                    500,
                    {"message": f"fake GitHub bug: {exc!r}"},
                    {},
                )
        record.answered = status  # type: ignore[attr-defined]
        self._send(handler, status, payload, headers)

    def _answer(self, req: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        if req.header("Authorization") != f"token {self.token}":
            return _error_answer("bad_credentials", req.path)
        for pattern in (_REPO, _COMMIT, _STATUSES, _UNDER_REPO):
            match = pattern.match(req.path)
            if match:
                break
        else:
            return _error_answer("not_found", req.path)
        full_name = f"{match['owner']}/{match['repo']}"
        if full_name.lower() in {m.lower() for m in self.missing_repos}:
            return _error_answer("not_found", req.path)
        if pattern is _REPO and req.method == "GET":
            return 200, self._repository(full_name), {}
        if pattern is _COMMIT and req.method == "GET":
            with self._lock:
                repo = self.repos.get(full_name.lower())
                if repo is not None and repo.commits:
                    return self._get_commit(repo, urllib.parse.unquote(match["sha"]))
            # A repository the test never pushed to: any sha exists.
            return 200, {"sha": match["sha"], "url": f"{self.url}{req.path}"}, {}
        if pattern is _STATUSES and req.method == "POST":
            with self._lock:
                repo = self.repos.get(full_name.lower())
                if (
                    repo is not None
                    and repo.commits
                    and match["sha"] not in repo.commits
                ):
                    # A repository the test pushed to knows its commits.
                    return _error_answer("validation", req.path)
            return self._create_status(full_name, match["sha"], req.body)
        if pattern is _UNDER_REPO:
            with self._lock:
                return self._route(full_name, req, match["rest"])
        return _not_found()

    def _create_status(
        self, full_name: str, sha: str, body: Any
    ) -> tuple[int, Any, dict]:
        if not isinstance(body, dict) or body.get("state") not in STATUS_STATES:
            return (
                422,
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "Status",
                            "code": "custom",
                            "field": "state",
                            "message": "state is not included in the list",
                        }
                    ],
                    "documentation_url": f"{DOCS}/commits/statuses#create-a-commit-status",
                    "status": "422",
                },
                {},
            )
        with self._lock:
            self._next_id += 1
            status_id = self._next_id
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return (
            201,
            {
                "url": f"{self.url}/repos/{full_name}/statuses/{sha}",
                "avatar_url": "https://github.com/images/error/hubot_happy.gif",
                "id": status_id,
                "node_id": f"SC_kwDO{status_id}",
                "state": body["state"],
                "description": body.get("description"),
                "target_url": body.get("target_url"),
                "context": body.get("context", "default"),
                "created_at": now,
                "updated_at": now,
                "creator": _user(),
            },
            {"Location": f"{self.url}/repos/{full_name}/statuses/{sha}"},
        )

    # --- people and what GitHub holds (test helpers) -----------------------------
    def push(
        self,
        full_name: str,
        branch: str,
        files: dict[str, str | None],
        *,
        message: str = "Update files",
        author: str = "octocat",
    ) -> str:
        """A commit by a person on top of `branch` (created from the default
        branch, or as the first commit of a new repository); its sha."""
        with self._lock:
            repo = self._repo(full_name, create=True)
            parent = repo.refs.get(branch) or repo.refs.get(repo.default_branch)
            tree = dict(repo.trees[repo.commits[parent].tree]) if parent else {}
            for path, text in files.items():
                if text is None:
                    tree.pop(path, None)
                else:
                    tree[path] = self._store_blob(repo, text.encode())
            sha = self._store_commit(
                repo,
                tree=self._store_tree(repo, tree),
                parents=[parent] if parent else [],
                message=message,
                author=author,
                committer=author,
            )
            repo.refs[branch] = sha
            if len(repo.refs) == 1 and branch != repo.default_branch:
                repo.default_branch = branch
            return sha

    def set_default_branch(self, full_name: str, name: str) -> None:
        with self._lock:
            self._repo(full_name, create=True).default_branch = name

    def file(self, full_name: str, ref: str, path: str) -> str | None:
        """The text GitHub holds at `path` as of `ref` (branch or sha)."""
        with self._lock:
            repo = self._repo(full_name)
            sha = self._resolve(repo, ref) if repo else None
            if sha is None:
                return None
            blob = repo.trees[repo.commits[sha].tree].get(path)
            return repo.blobs[blob].decode() if blob else None

    def branch_sha(self, full_name: str, branch: str) -> str | None:
        with self._lock:
            repo = self._repo(full_name)
            return repo.refs.get(branch) if repo else None

    def commit(self, full_name: str, sha: str) -> dict:
        """A commit as GET /repos/{owner}/{repo}/commits/{sha} shows it."""
        with self._lock:
            status, body, _ = self._get_commit(self._repo(full_name), sha)
        assert status == 200, body
        return body

    def pulls(self, full_name: str) -> list[dict]:
        """Every pull request, oldest first, in GitHub's (full) JSON shape."""
        with self._lock:
            repo = self._repo(full_name)
            if repo is None:
                return []
            return [self._pull_json(repo, p, full=True) for p in repo.pulls.values()]

    def comments(self, full_name: str, number: int) -> list[str]:
        """The bodies of the comments on pull request `number`, oldest first."""
        with self._lock:
            repo = self._repo(full_name)
            return [c["body"] for c in repo.comments.get(number, [])] if repo else []

    def merge_pull(self, full_name: str, number: int, *, by: str = "octocat") -> str:
        """As a person clicking Merge: the base branch moves to the head
        (fast-forward), or to a merge commit when the base moved meanwhile;
        the pull request is closed as merged. The sha the base now points at."""
        with self._lock:
            repo = self._repo(full_name)
            pull = repo.pulls[number]
            assert pull.state == "open" and pull.merged_at is None, "not open"
            head = repo.refs[pull.head]
            base = repo.refs[pull.base]
            if base in self._ancestors(repo, head):
                merged = head
            else:
                merged = self._store_commit(
                    repo,
                    tree=self._store_tree(repo, self._merge_trees(repo, base, head)),
                    parents=[base, head],
                    message=f"Merge pull request #{number} from {repo.full_name.split('/')[0]}/{pull.head}",
                    author=by,
                    committer=WEB_FLOW,
                )
            repo.refs[pull.base] = merged
            now = _now()
            pull.head_sha, pull.base_sha = head, base
            pull.state, pull.closed_at, pull.merged_at = "closed", now, now
            pull.updated_at, pull.merge_commit_sha, pull.merged_by = now, merged, by
            return merged

    def close_pull(self, full_name: str, number: int) -> None:
        """As a person closing pull request `number` without merging it."""
        with self._lock:
            repo = self._repo(full_name)
            pull = repo.pulls[number]
            pull.head_sha = repo.refs.get(pull.head, pull.head_sha)
            pull.state, pull.closed_at = "closed", _now()
            pull.updated_at = pull.closed_at

    # --- the in-memory git ---------------------------------------------------------
    def _repo(self, full_name: str, *, create: bool = False) -> "_Repo | None":
        key = full_name.lower()
        if key not in self.repos and create:
            self.repos[key] = _Repo(full_name=full_name)
            self.repos[key].trees[EMPTY_TREE] = {}
        return self.repos.get(key)

    def _store_blob(self, repo: _Repo, content: bytes) -> str:
        sha = _blob_sha(content)
        repo.blobs[sha] = content
        return sha

    def _store_tree(self, repo: _Repo, entries: dict[str, str]) -> str:
        if not entries:
            return EMPTY_TREE
        text = "\n".join(f"{p}\0{s}" for p, s in sorted(entries.items()))
        sha = hashlib.sha1(  # nosec B324 # an object id, not a secret
            b"tree " + text.encode(), usedforsecurity=False
        ).hexdigest()
        repo.trees[sha] = dict(entries)
        return sha

    def _store_commit(self, repo: _Repo, **fields: Any) -> str:
        with self._lock:
            self._next_id += 1
            serial = self._next_id
        date = _now()
        text = json.dumps({**fields, "date": date, "serial": serial}, sort_keys=True)
        sha = hashlib.sha1(  # nosec B324 # an object id, not a secret
            b"commit " + text.encode(), usedforsecurity=False
        ).hexdigest()
        repo.commits[sha] = _Commit(sha=sha, date=date, **fields)
        return sha

    def _resolve(self, repo: _Repo, ref: str) -> str | None:
        """A branch, `heads/x`, `refs/heads/x`, a sha or an unambiguous prefix."""
        for prefix in ("refs/heads/", "heads/"):
            if ref.startswith(prefix) and ref[len(prefix) :] in repo.refs:
                return repo.refs[ref[len(prefix) :]]
        if ref in repo.refs:
            return repo.refs[ref]
        if ref in repo.commits:
            return ref
        if re.fullmatch(r"[0-9a-f]{7,39}", ref):
            found = [sha for sha in repo.commits if sha.startswith(ref)]
            if len(found) == 1:
                return found[0]
        return None

    def _ancestors(self, repo: _Repo, sha: str) -> list[str]:
        """`sha` and every commit it descends from, nearest first."""
        seen, queue = [], [sha]
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.append(current)
            queue.extend(repo.commits[current].parents)
        return seen

    def _merge_base(self, repo: _Repo, base: str, head: str) -> str | None:
        of_base = set(self._ancestors(repo, base))
        return next((c for c in self._ancestors(repo, head) if c in of_base), None)

    def _merge_trees(self, repo: _Repo, base: str, head: str) -> dict[str, str]:
        """Head's changes since the merge base applied onto base, file by file."""
        merge_base = self._merge_base(repo, base, head)
        old = repo.trees[repo.commits[merge_base].tree] if merge_base else {}
        ours = repo.trees[repo.commits[base].tree]
        theirs = repo.trees[repo.commits[head].tree]
        merged = dict(ours)
        for path in set(old) | set(theirs):
            if old.get(path) == theirs.get(path):
                continue
            if ours.get(path) not in (old.get(path), theirs.get(path)):
                raise AssertionError(f"merge conflict in {path}")
            if theirs.get(path) is None:
                merged.pop(path, None)
            else:
                merged[path] = theirs[path]
        return merged

    # --- JSON shapes -------------------------------------------------------------------
    def _api(self, repo: _Repo) -> str:
        return f"{self.url}/repos/{repo.full_name}"

    def _git_commit_json(self, repo: _Repo, commit: _Commit) -> dict:
        api = self._api(repo)

        def person(login: str) -> dict:
            return {
                "name": login,
                "email": f"{login}@users.noreply.github.com",
                "date": commit.date,
            }

        return {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha[:20]}",
            "url": f"{api}/git/commits/{commit.sha}",
            "html_url": f"https://github.com/{repo.full_name}/commit/{commit.sha}",
            "author": person(commit.author),
            "committer": person(commit.committer),
            "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
            "message": commit.message,
            "parents": [
                {
                    "sha": p,
                    "url": f"{api}/git/commits/{p}",
                    "html_url": f"https://github.com/{repo.full_name}/commit/{p}",
                }
                for p in commit.parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def _files_json(self, repo: _Repo, old: dict, new: dict) -> list[dict]:
        """The files that differ between two flat trees, as GitHub lists them."""
        removed = {p: s for p, s in old.items() if p not in new}
        added = {p: s for p, s in new.items() if p not in old}
        renamed = {}
        for path, sha in list(added.items()):
            previous = next((p for p, s in removed.items() if s == sha), None)
            if previous is not None:
                renamed[path] = previous
                del removed[previous], added[path]
        files = []
        for path in sorted(set(old) | set(new)):
            if path in renamed.values():
                continue  # listed under its new name
            if path in renamed:
                status, sha = "renamed", new[path]
            elif path in added:
                status, sha = "added", new[path]
            elif path in removed:
                status, sha = "removed", old[path]
            elif old.get(path) != new.get(path):
                status, sha = "modified", new[path]
            else:
                continue
            entry = {
                "sha": sha,
                "filename": path,
                "status": status,
                "additions": 0 if status == "removed" else 1,
                "deletions": 0 if status == "added" else 1,
                "changes": 0 if status == "renamed" else 1,
                "blob_url": f"https://github.com/{repo.full_name}/blob/{sha}/{path}",
                "raw_url": f"https://github.com/{repo.full_name}/raw/{sha}/{path}",
                "contents_url": f"{self._api(repo)}/contents/{urllib.parse.quote(path)}",
                "patch": "",
            }
            if status == "renamed":
                entry["previous_filename"] = renamed[path]
            files.append(entry)
        return files

    def _commit_json(self, repo: _Repo, commit: _Commit, *, files: bool) -> dict:
        api = self._api(repo)
        git = self._git_commit_json(repo, commit)
        body = {
            "url": f"{api}/commits/{commit.sha}",
            "sha": commit.sha,
            "node_id": git["node_id"],
            "html_url": git["html_url"],
            "comments_url": f"{api}/commits/{commit.sha}/comments",
            "commit": {
                "url": git["url"],
                "author": git["author"],
                "committer": git["committer"],
                "message": commit.message,
                "tree": git["tree"],
                "comment_count": 0,
                "verification": git["verification"],
            },
            "author": _user(commit.author, self.url),
            "committer": _user(commit.committer, self.url),
            "parents": [
                {**p, "url": f"{api}/commits/{p['sha']}"} for p in git["parents"]
            ],
        }
        if files:
            old = (
                repo.trees[repo.commits[commit.parents[0]].tree]
                if commit.parents
                else {}
            )
            changed = self._files_json(repo, old, repo.trees[commit.tree])
            body["stats"] = {
                "total": len(changed),
                "additions": len(changed),
                "deletions": 0,
            }
            body["files"] = changed
        return body

    def _ref_json(self, repo: _Repo, branch: str) -> dict:
        sha = repo.refs[branch]
        return {
            "ref": f"refs/heads/{branch}",
            "node_id": f"REF_{branch}",
            "url": f"{self._api(repo)}/git/refs/heads/{urllib.parse.quote(branch)}",
            "object": {
                "type": "commit",
                "sha": sha,
                "url": f"{self._api(repo)}/git/commits/{sha}",
            },
        }

    def _label_json(self, repo: _Repo, name: str) -> dict:
        return {
            "id": abs(hash((repo.full_name, name))) % 10**9,
            "node_id": f"LA_{name}",
            "url": f"{self._api(repo)}/labels/{urllib.parse.quote(name)}",
            "name": name,
            "description": None,
            "color": "ededed",
            "default": False,
        }

    def _pull_json(self, repo: _Repo, pull: _Pull, *, full: bool) -> dict:
        api, html = self._api(repo), f"https://github.com/{repo.full_name}"
        owner = repo.full_name.split("/")[0]
        is_open = pull.state == "open"
        head_sha = repo.refs.get(pull.head, pull.head_sha) if is_open else pull.head_sha
        base_sha = repo.refs.get(pull.base, pull.base_sha) if is_open else pull.base_sha
        repo_json = self._repository(repo.full_name)

        def part(branch: str, sha: str) -> dict:
            return {
                "label": f"{owner}:{branch}",
                "ref": branch,
                "sha": sha,
                "user": _user(owner, self.url),
                "repo": repo_json,
            }

        n = pull.number
        body = {
            "url": f"{api}/pulls/{n}",
            "id": pull.id,
            "node_id": f"PR_{pull.id}",
            "html_url": f"{html}/pull/{n}",
            "diff_url": f"{html}/pull/{n}.diff",
            "patch_url": f"{html}/pull/{n}.patch",
            "issue_url": f"{api}/issues/{n}",
            "commits_url": f"{api}/pulls/{n}/commits",
            "review_comments_url": f"{api}/pulls/{n}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{n}/comments",
            "statuses_url": f"{api}/statuses/{head_sha}",
            "number": n,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": _user(pull.user, self.url),
            "body": pull.body,
            "labels": [self._label_json(repo, name) for name in pull.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": pull.created_at,
            "updated_at": pull.updated_at,
            "closed_at": pull.closed_at,
            "merged_at": pull.merged_at,
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": part(pull.head, head_sha),
            "base": part(pull.base, base_sha),
            "_links": {
                "self": {"href": f"{api}/pulls/{n}"},
                "html": {"href": f"{html}/pull/{n}"},
                "issue": {"href": f"{api}/issues/{n}"},
                "comments": {"href": f"{api}/issues/{n}/comments"},
            },
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "draft": False,
        }
        if full:  # GET/POST/PATCH one pull request; lists leave these out
            body.update(
                {
                    "merged": pull.merged_at is not None,
                    "mergeable": True if is_open else None,
                    "rebaseable": True if is_open else None,
                    "mergeable_state": "clean" if is_open else "unknown",
                    "merged_by": _user(pull.merged_by, self.url)
                    if pull.merged_by
                    else None,
                    "comments": len(repo.comments.get(n, [])),
                    "review_comments": 0,
                    "maintainer_can_modify": False,
                    "commits": 1,
                    "additions": 1,
                    "deletions": 0,
                    "changed_files": 1,
                }
            )
        return body

    # --- routes under /repos/{owner}/{repo}/ ------------------------------------------
    def _route(self, full_name: str, req: RecordedRequest, rest: str) -> tuple:
        repo = self._repo(full_name)
        if repo is None:
            return _not_found()
        method = req.method
        segments = rest.split("/")
        unquoted = urllib.parse.unquote
        if segments[0] == "contents" and method == "GET":
            return self._get_contents(repo, unquoted("/".join(segments[1:])), req)
        if segments[0] == "compare" and method == "GET" and len(segments) >= 2:
            return self._compare(repo, unquoted("/".join(segments[1:])))
        if segments[0] == "git":
            return self._route_git(repo, req, segments[1:])
        if segments[0] == "pulls":
            if len(segments) == 1 and method == "GET":
                return self._list_pulls(repo, req.query)
            if len(segments) == 1 and method == "POST":
                return self._create_pull(repo, req.body)
            if len(segments) == 2 and segments[1].isdigit():
                pull = repo.pulls.get(int(segments[1]))
                if pull is None:
                    return _not_found("/pulls/pulls#get-a-pull-request")
                if method == "GET":
                    return 200, self._pull_json(repo, pull, full=True), {}
                if method == "PATCH":
                    return self._update_pull(repo, pull, req.body)
        if segments[0] == "issues" and len(segments) == 3 and segments[1].isdigit():
            number = int(segments[1])
            if number not in repo.pulls:  # the fake has pull requests, no issues
                return _not_found("/issues/issues")
            if segments[2] == "labels" and method == "POST":
                return self._add_labels(repo, repo.pulls[number], req.body)
            if segments[2] == "comments" and method == "POST":
                return self._create_comment(repo, number, req.body)
            if segments[2] == "comments" and method == "GET":
                return 200, list(repo.comments.get(number, [])), {}
        return _not_found()

    def _route_git(
        self, repo: _Repo, req: RecordedRequest, segments: list[str]
    ) -> tuple:
        method, kind = req.method, segments[0] if segments else ""
        name = urllib.parse.unquote("/".join(segments[1:]))
        doc = "/git/refs"
        if kind == "ref" and method == "GET":  # GET git/ref/heads/{branch}
            return self._get_ref(repo, name)
        if kind == "refs" and len(segments) == 1 and method == "POST":
            return self._create_ref(repo, req.body)
        if kind == "refs" and len(segments) > 1:
            if method == "GET":
                return self._get_ref(repo, name)
            if not name.startswith("heads/") or name[6:] not in repo.refs:
                return _unprocessable(
                    "Reference does not exist", f"{doc}#update-a-reference"
                )
            branch = name[6:]
            if method == "DELETE":
                del repo.refs[branch]
                return 204, "", {}
            if method == "PATCH":
                return self._update_ref(repo, branch, req.body)
        if kind == "commits" and method == "GET" and len(segments) == 2:
            commit = repo.commits.get(segments[1])
            if commit is None:
                return _not_found("/git/commits#get-a-commit-object")
            return 200, self._git_commit_json(repo, commit), {}
        if kind == "commits" and method == "POST" and len(segments) == 1:
            return self._create_git_commit(repo, req.body)
        if kind == "trees" and method == "POST" and len(segments) == 1:
            return self._create_tree(repo, req.body)
        if kind == "blobs" and method == "GET" and len(segments) == 2:
            content = repo.blobs.get(segments[1])
            if content is None:
                return _not_found("/git/blobs#get-a-blob")
            return 200, self._blob_json(repo, segments[1], content), {}
        return _not_found()

    def _blob_json(self, repo: _Repo, sha: str, content: bytes) -> dict:
        return {
            "sha": sha,
            "node_id": f"B_{sha[:20]}",
            "size": len(content),
            "url": f"{self._api(repo)}/git/blobs/{sha}",
            "content": base64.encodebytes(content).decode(),
            "encoding": "base64",
        }

    def _get_contents(self, repo: _Repo, path: str, req: RecordedRequest) -> tuple:
        doc = "/repos/contents#get-repository-content"
        ref = req.query.get("ref") or repo.default_branch
        sha = self._resolve(repo, ref)
        if sha is None:
            return (
                404,
                {
                    "message": f"No commit found for the ref {ref}",
                    "documentation_url": f"{DOCS}{doc}",
                    "status": "404",
                },
                {},
            )
        tree = repo.trees[repo.commits[sha].tree]
        path = path.strip("/")
        api, html = self._api(repo), f"https://github.com/{repo.full_name}"

        def entry(p: str, kind: str, object_sha: str, size: int) -> dict:
            q = urllib.parse.quote(p)
            return {
                "type": kind,
                "size": size,
                "name": p.rsplit("/", 1)[-1],
                "path": p,
                "sha": object_sha,
                "url": f"{api}/contents/{q}?ref={urllib.parse.quote(ref)}",
                "git_url": f"{api}/git/{'blobs' if kind == 'file' else 'trees'}/{object_sha}",
                "html_url": f"{html}/{'blob' if kind == 'file' else 'tree'}/{ref}/{q}",
                "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{q}"
                if kind == "file"
                else None,
                "_links": {"self": f"{api}/contents/{q}?ref={ref}"},
            }

        if path in tree:
            blob = tree[path]
            content = repo.blobs[blob]
            body = entry(path, "file", blob, len(content))
            if len(content) > 1024 * 1024:  # GitHub leaves content out over 1 MB
                body.update(encoding="none", content="")
            else:
                body.update(
                    encoding="base64", content=base64.encodebytes(content).decode()
                )
            return 200, body, {}
        prefix = f"{path}/" if path else ""
        children: dict[str, tuple[str, str, int]] = {}
        for p, blob in tree.items():
            if p.startswith(prefix):
                child, _, deeper = p[len(prefix) :].partition("/")
                if deeper:
                    children[child] = ("dir", "0" * 40, 0)
                else:
                    children[child] = ("file", blob, len(repo.blobs[blob]))
        if not children:
            return _not_found(doc)
        return 200, [entry(prefix + c, *children[c]) for c in sorted(children)], {}

    def _compare(self, repo: _Repo, basehead: str) -> tuple:
        base_ref, sep, head_ref = basehead.partition("...")
        base, head = self._resolve(repo, base_ref), self._resolve(repo, head_ref)
        if not sep or base is None or head is None:
            return _not_found("/commits/commits#compare-two-commits")
        merge_base = self._merge_base(repo, base, head)
        ahead = [
            c
            for c in self._ancestors(repo, head)
            if c not in set(self._ancestors(repo, base))
        ]
        behind = [
            c
            for c in self._ancestors(repo, base)
            if c not in set(self._ancestors(repo, head))
        ]
        status = (
            "identical"
            if base == head
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        old = repo.trees[repo.commits[merge_base].tree] if merge_base else {}
        api, html = self._api(repo), f"https://github.com/{repo.full_name}"
        return (
            200,
            {
                "url": f"{api}/compare/{basehead}",
                "html_url": f"{html}/compare/{basehead}",
                "permalink_url": f"{html}/compare/{repo.full_name.split('/')[0]}:{base[:7]}...{head[:7]}",
                "diff_url": f"{html}/compare/{basehead}.diff",
                "patch_url": f"{html}/compare/{basehead}.patch",
                "base_commit": self._commit_json(repo, repo.commits[base], files=False),
                "merge_base_commit": self._commit_json(
                    repo, repo.commits[merge_base], files=False
                )
                if merge_base
                else None,
                "status": status,
                "ahead_by": len(ahead),
                "behind_by": len(behind),
                "total_commits": len(ahead),
                "commits": [
                    self._commit_json(repo, repo.commits[c], files=False)
                    for c in reversed(ahead)
                ],
                "files": self._files_json(
                    repo, old, repo.trees[repo.commits[head].tree]
                ),
            },
            {},
        )

    def _get_commit(self, repo: _Repo | None, ref: str) -> tuple:
        sha = self._resolve(repo, ref) if repo else None
        if sha is None:
            return _unprocessable(
                f"No commit found for SHA: {ref}", "/commits/commits#get-a-commit"
            )
        return 200, self._commit_json(repo, repo.commits[sha], files=True), {}

    def _get_ref(self, repo: _Repo, name: str) -> tuple:
        if name.startswith("heads/") and name[6:] in repo.refs:
            return 200, self._ref_json(repo, name[6:]), {}
        return _not_found("/git/refs#get-a-reference")

    def _create_ref(self, repo: _Repo, body: Any) -> tuple:
        doc = "/git/refs#create-a-reference"
        ref, sha = (body or {}).get("ref", ""), (body or {}).get("sha", "")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return _unprocessable("Reference name is invalid", doc)
        if not ref.startswith("refs/heads/"):
            return _unprocessable("The fake only keeps branches (refs/heads/…)", doc)
        if sha not in repo.commits:
            return _unprocessable("Object does not exist", doc)
        branch = ref[len("refs/heads/") :]
        if branch in repo.refs:
            return _unprocessable("Reference already exists", doc)
        repo.refs[branch] = sha
        return (
            201,
            self._ref_json(repo, branch),
            {"Location": self._ref_json(repo, branch)["url"]},
        )

    def _update_ref(self, repo: _Repo, branch: str, body: Any) -> tuple:
        doc = "/git/refs#update-a-reference"
        sha = (body or {}).get("sha", "")
        if sha not in repo.commits:
            return _unprocessable("Object does not exist", doc)
        if not (body or {}).get("force") and repo.refs[branch] not in self._ancestors(
            repo, sha
        ):
            return _unprocessable("Update is not a fast forward", doc)
        repo.refs[branch] = sha
        return 200, self._ref_json(repo, branch), {}

    def _create_tree(self, repo: _Repo, body: Any) -> tuple:
        doc = "/git/trees#create-a-tree"
        body = body if isinstance(body, dict) else {}
        base = body.get("base_tree")
        if base is not None and base not in repo.trees:
            return _unprocessable("base_tree is not a valid tree oid", doc)
        tree = dict(repo.trees[base]) if base else {}
        for item in body.get("tree") or []:
            path = item.get("path", "")
            if item.get("type") != "blob" or item.get("mode") not in (
                "100644",
                "100755",
            ):
                return _unprocessable(
                    "The fake only keeps blobs (type blob, mode 100644)", doc
                )
            if "content" in item and "sha" in item:
                return _unprocessable(
                    "Must supply either tree.sha or tree.content. Request will be rejected if both are present.",
                    doc,
                )
            if "content" in item:
                tree[path] = self._store_blob(repo, str(item["content"]).encode())
            elif "sha" in item and item["sha"] is None:
                if path not in tree:
                    return _unprocessable("GitRPC::BadObjectState", doc)
                del tree[path]
            elif "sha" in item:
                if item["sha"] not in repo.blobs:
                    return _unprocessable(
                        f"tree.sha {item['sha']} is not a valid blob", doc
                    )
                tree[path] = item["sha"]
            else:
                return _unprocessable(
                    "Must supply either tree.sha or tree.content. Request will be rejected if both are present.",
                    doc,
                )
        sha = self._store_tree(repo, tree)
        api = self._api(repo)
        return (
            201,
            {
                "sha": sha,
                "url": f"{api}/git/trees/{sha}",
                "tree": [
                    {
                        "path": p,
                        "mode": "100644",
                        "type": "blob",
                        "size": len(repo.blobs[s]),
                        "sha": s,
                        "url": f"{api}/git/blobs/{s}",
                    }
                    for p, s in sorted(tree.items())
                ],
                "truncated": False,
            },
            {},
        )

    def _create_git_commit(self, repo: _Repo, body: Any) -> tuple:
        doc = "/git/commits#create-a-commit"
        body = body if isinstance(body, dict) else {}
        if not body.get("message"):
            return _unprocessable(
                'Invalid request.\n\n"message" wasn\'t supplied.', doc
            )
        if body.get("tree") not in repo.trees:
            return _unprocessable("Tree SHA does not exist", doc)
        parents = body.get("parents") or []
        if any(p not in repo.commits for p in parents):
            return _unprocessable(
                "Parent SHA does not exist or is not a commit object", doc
            )
        sha = self._store_commit(
            repo,
            tree=body["tree"],
            parents=list(parents),
            message=body["message"],
            author=self.login,
            committer=self.login,
        )
        data = self._git_commit_json(repo, repo.commits[sha])
        return 201, data, {"Location": data["url"]}

    def _list_pulls(self, repo: _Repo, query: dict[str, str]) -> tuple:
        state = query.get("state", "open")
        found = [
            p
            for p in repo.pulls.values()
            if (state == "all" or p.state == state)
            and (
                "head" not in query
                or f"{repo.full_name.split('/')[0]}:{p.head}".lower()
                == query["head"].lower()
            )
            and ("base" not in query or p.base == query["base"])
        ]
        key = "updated_at" if query.get("sort") == "updated" else "created_at"
        # GitHub: "desc" by default when sorting by creation, else "asc".
        default = "desc" if query.get("sort", "created") == "created" else "asc"
        descending = query.get("direction", default) == "desc"
        found.sort(key=lambda p: (getattr(p, key), p.number), reverse=descending)
        return 200, [self._pull_json(repo, p, full=False) for p in found], {}

    def _create_pull(self, repo: _Repo, body: Any) -> tuple:
        doc = "/pulls/pulls#create-a-pull-request"
        body = body if isinstance(body, dict) else {}
        head, base = body.get("head", ""), body.get("base", "")
        owner = repo.full_name.split("/")[0]
        if head.lower().startswith(f"{owner.lower()}:"):
            head = head.split(":", 1)[1]
        invalid = [
            {"resource": "PullRequest", "field": field_name, "code": "invalid"}
            for field_name, branch in (("base", base), ("head", head))
            if branch not in repo.refs
        ]
        if invalid:
            return _unprocessable("Validation Failed", doc, invalid)
        if not body.get("title"):
            return _unprocessable(
                "Validation Failed",
                doc,
                [
                    {
                        "resource": "PullRequest",
                        "field": "title",
                        "code": "missing_field",
                    }
                ],
            )
        if any(
            p.state == "open" and p.head == head and p.base == base
            for p in repo.pulls.values()
        ):
            return _unprocessable(
                "Validation Failed",
                doc,
                [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {owner}:{head}.",
                    }
                ],
            )
        if repo.refs[head] in self._ancestors(repo, repo.refs[base]):
            return _unprocessable(
                "Validation Failed",
                doc,
                [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"No commits between {base} and {head}",
                    }
                ],
            )
        with self._lock:
            self._next_id += 1
            pull_id = self._next_id
        now = _now()
        pull = _Pull(
            number=repo.next_number,
            id=pull_id,
            head=head,
            base=base,
            title=body["title"],
            body=body.get("body"),
            user=self.login,
            created_at=now,
            updated_at=now,
        )
        repo.next_number += 1
        repo.pulls[pull.number] = pull
        data = self._pull_json(repo, pull, full=True)
        return 201, data, {"Location": data["url"]}

    def _update_pull(self, repo: _Repo, pull: _Pull, body: Any) -> tuple:
        doc = "/pulls/pulls#update-a-pull-request"
        body = body if isinstance(body, dict) else {}
        state = body.get("state")
        if state not in (None, "open", "closed"):
            return _unprocessable(
                "Validation Failed",
                doc,
                [{"resource": "PullRequest", "field": "state", "code": "invalid"}],
            )
        owner = repo.full_name.split("/")[0]
        if state == "open" and pull.state == "closed":
            if pull.merged_at:
                return _unprocessable(
                    "Validation Failed",
                    doc,
                    [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": "state cannot be changed. The pull request cannot be reopened because it has been merged.",
                        }
                    ],
                )
            if pull.head not in repo.refs:
                return _unprocessable(
                    "Validation Failed",
                    doc,
                    [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"state cannot be changed. The {pull.head} branch has been deleted.",
                        }
                    ],
                )
            if any(
                p.state == "open" and p.head == pull.head and p.base == pull.base
                for p in repo.pulls.values()
            ):
                return _unprocessable(
                    "Validation Failed",
                    doc,
                    [
                        {
                            "resource": "PullRequest",
                            "code": "custom",
                            "message": f"A pull request already exists for {owner}:{pull.head}.",
                        }
                    ],
                )
            pull.state, pull.closed_at = "open", None
        elif state == "closed" and pull.state == "open":
            pull.head_sha = repo.refs.get(pull.head, pull.head_sha)
            pull.base_sha = repo.refs.get(pull.base, pull.base_sha)
            pull.state, pull.closed_at = "closed", _now()
        if "title" in body:
            pull.title = body["title"]
        if "body" in body:
            pull.body = body["body"]
        pull.updated_at = _now()
        return 200, self._pull_json(repo, pull, full=True), {}

    def _add_labels(self, repo: _Repo, pull: _Pull, body: Any) -> tuple:
        doc = "/issues/labels#add-labels-to-an-issue"
        names = body.get("labels") if isinstance(body, dict) else body
        if not isinstance(names, list) or not all(
            isinstance(n, str) and n for n in names
        ):
            return _unprocessable(
                "Invalid request.\n\nFor 'links/0/schema', nil is not an array.", doc
            )
        for name in names:
            if name not in pull.labels:
                pull.labels.append(name)
        pull.updated_at = _now()
        return 200, [self._label_json(repo, n) for n in pull.labels], {}

    def _create_comment(self, repo: _Repo, number: int, body: Any) -> tuple:
        doc = "/issues/comments#create-an-issue-comment"
        text = body.get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            return _unprocessable(
                "Validation Failed",
                doc,
                [
                    {
                        "resource": "IssueComment",
                        "field": "body",
                        "code": "missing_field",
                    }
                ],
            )
        with self._lock:
            self._next_id += 1
            comment_id = self._next_id
        now, api = _now(), self._api(repo)
        comment = {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": f"{api}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/{repo.full_name}/pull/{number}#issuecomment-{comment_id}",
            "body": text,
            "user": _user(self.login, self.url),
            "created_at": now,
            "updated_at": now,
            "issue_url": f"{api}/issues/{number}",
            "author_association": "CONTRIBUTOR",
        }
        repo.comments.setdefault(number, []).append(comment)
        return 201, comment, {"Location": comment["url"]}

    def _repository(self, full_name: str) -> dict:
        owner, name = full_name.split("/")
        with self._lock:
            repo = self._repo(full_name)
        return {
            "id": abs(hash(full_name)) % 10**9,
            "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": name,
            "full_name": full_name,
            "owner": {**_user(), "login": owner},
            "private": False,
            "html_url": f"https://github.com/{full_name}",
            "url": f"{self.url}/repos/{full_name}",
            "statuses_url": f"{self.url}/repos/{full_name}/statuses/{{sha}}",
            "default_branch": repo.default_branch if repo else "main",
        }

    def _send(
        self, handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict
    ) -> None:
        is_json = not isinstance(payload, str)
        data = (json.dumps(payload) if is_json else payload).encode()
        handler.send_response(status)
        content_type = "application/json; charset=utf-8" if is_json else "text/html"
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("X-GitHub-Request-Id", f"FAKE:{id(handler):x}")
        handler.send_header("X-RateLimit-Limit", "5000")
        handler.send_header(
            "X-RateLimit-Remaining", headers.pop("X-RateLimit-Remaining", "4999")
        )
        handler.send_header(
            "X-RateLimit-Reset", str(int(time.time()) + self.rate_limit_reset_in)
        )
        handler.send_header("X-RateLimit-Resource", "core")
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


def _user(login: str = "octocat", api: str = "https://api.github.com") -> dict:
    is_bot = login == WEB_FLOW or login.endswith("[bot]")
    return {
        "login": login,
        "id": 1 if login == "octocat" else abs(hash(login)) % 10**8,
        "node_id": "MDQ6VXNlcjE=",
        "avatar_url": f"https://github.com/images/error/{login}_happy.gif",
        "url": f"{api}/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "Bot" if is_bot else "User",
        "site_admin": False,
    }
