"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that answers the calls
the control plane makes the way api.github.com documents them, records every
request, and can be told to fail the next calls with GitHub's own error answers.

Served: GET /repos/{owner}/{repo}, GET /repos/{owner}/{repo}/commits/{sha},
POST /repos/{owner}/{repo}/statuses/{sha}.
"""

import json
import re
import threading
import time
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


@dataclass
class FakeGitHub:
    token: str = "ghp_fake0123456789abcdefghijklmnopqrstuv"
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    missing_repos: set[str] = field(default_factory=set)
    rate_limit_reset_in: int = 42
    # Called with each request before it is answered (runs in the server thread):
    # lets a test change the world while "GitHub" is busy.
    before_answer: Callable[[RecordedRequest], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
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

    def fail_next(self, mode: str, *, times: int = 1, path_contains: str = "") -> None:
        """Answer the next `times` requests (whose path contains `path_contains`)
        with GitHub's answer for `mode`: bad_credentials, not_found, validation,
        rate_limited, secondary_rate_limited, forbidden, bad_gateway."""
        _error_answer(mode, "")  # unknown modes fail here, in the test
        with self._lock:
            self.failures.append(Failure(mode, times, path_contains))

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
        path = handler.path.split("?", 1)[0]
        record = RecordedRequest(
            handler.command, path, dict(handler.headers.items()), body
        )
        with self._lock:
            self.requests.append(record)
            failure = next(
                (f for f in self.failures if f.times > 0 and f.path_contains in path),
                None,
            )
            if failure is not None:
                failure.times -= 1
        if self.before_answer is not None:
            self.before_answer(record)
        if failure is not None:
            status, payload, headers = _error_answer(failure.mode, path)
        else:
            status, payload, headers = self._answer(record)
        record.answered = status  # type: ignore[attr-defined]
        self._send(handler, status, payload, headers)

    def _answer(self, req: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        if req.header("Authorization") != f"token {self.token}":
            return _error_answer("bad_credentials", req.path)
        for pattern in (_REPO, _COMMIT, _STATUSES):
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
            return 200, {"sha": match["sha"], "url": f"{self.url}{req.path}"}, {}
        if pattern is _STATUSES and req.method == "POST":
            return self._create_status(full_name, match["sha"], req.body)
        return (
            404,
            {"message": "Not Found", "documentation_url": DOCS, "status": "404"},
            {},
        )

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

    def _repository(self, full_name: str) -> dict:
        owner, name = full_name.split("/")
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
            "default_branch": "main",
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


def _user() -> dict:
    return {
        "login": "octocat",
        "id": 1,
        "node_id": "MDQ6VXNlcjE=",
        "avatar_url": "https://github.com/images/error/octocat_happy.gif",
        "url": "https://api.github.com/users/octocat",
        "type": "User",
        "site_admin": False,
    }
