"""The one GitHub adapter: every call to GitHub's REST API goes through here.

Built on PyGithub with `settings.GITHUB_API_URL` (GitHub Enterprise, the fake
server in tests), `GITHUB_TOKEN` and `GITHUB_TIMEOUT_SECONDS`. PyGithub's own
retries and request throttling are off: Celery retries, with backoff, and the
worker must not sleep inside a task. Errors leave this module as
`config.tasks.TransientError` (retry; `retry_after` seconds when GitHub says) or
`config.tasks.PermanentError` (retrying cannot help), never as PyGithub or
requests exceptions. Only services and tasks call it.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import TypeVar

import requests
from django.conf import settings
from github import Auth, Github, GithubException

from config import request_context
from config.tasks import PermanentError, TransientError

logger = logging.getLogger(__name__)
T = TypeVar("T")

STATUS_STATES = ("error", "failure", "pending", "success")
# GitHub cuts descriptions longer than this with a 422; we cut them first.
DESCRIPTION_MAX = 140
# When GitHub says "rate limited" without saying until when.
DEFAULT_RATE_LIMIT_WAIT = 60.0


class _TokenWithRequestId(Auth.Token):
    """Token auth that also sends the current request id.

    PyGithub has no per-request header option; `Auth.authentication()` is its
    documented hook for adding headers to every request, so the id rides there.
    """

    def authentication(self, headers: dict) -> None:
        super().authentication(headers)
        request_id = request_context.current_request_id()
        if request_id:
            headers["X-Request-ID"] = request_id


def client() -> Github:
    """A PyGithub client configured from settings (one per call: cheap, no state)."""
    token = settings.GITHUB_TOKEN
    if not token:
        raise PermanentError(
            "GITHUB_TOKEN is not set: the control plane cannot write to GitHub."
        )
    return Github(
        auth=_TokenWithRequestId(token),
        base_url=settings.GITHUB_API_URL.rstrip("/"),
        timeout=settings.GITHUB_TIMEOUT_SECONDS,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )


def _header(headers: dict | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _rate_limit_wait(headers: dict | None) -> float | None:
    """Seconds until GitHub lets us call again, if this response says so."""
    retry_after = _header(headers, "Retry-After")
    if retry_after:
        try:
            return max(1.0, float(retry_after))
        except ValueError:
            pass
    if _header(headers, "X-RateLimit-Remaining") == "0":
        reset = _header(headers, "X-RateLimit-Reset")
        try:
            return max(1.0, float(reset) - time.time()) if reset else None
        except ValueError:
            return None
    return None


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = data.get("message") or exc.message or ""
    errors = data.get("errors") or []
    details = []
    for error in errors if isinstance(errors, list) else []:
        if isinstance(error, dict):
            details.append(
                error.get("message")
                or " ".join(
                    str(error.get(k, "")) for k in ("resource", "field", "code")
                )
            )
        else:
            details.append(str(error))
    if details:
        message = f"{message} ({'; '.join(d.strip() for d in details)})"
    if not message.strip():
        try:
            message = HTTPStatus(exc.status).phrase
        except ValueError:
            message = "no message"
    return message.strip()


def translate(exc: Exception, *, what: str) -> Exception:
    """The TransientError or PermanentError a GitHub failure stands for."""
    if isinstance(exc, requests.Timeout):
        return TransientError(f"GitHub did not answer in time while {what}: {exc}")
    if isinstance(exc, requests.ConnectionError):
        return TransientError(f"GitHub unreachable while {what}: {exc}")
    if not isinstance(exc, GithubException):
        return exc
    status, message = exc.status, _message(exc)
    wait = _rate_limit_wait(exc.headers)
    if status == 429 or (status == 403 and wait is not None):
        return TransientError(
            f"GitHub rate limit while {what}: {message}; retry in {wait or DEFAULT_RATE_LIMIT_WAIT:.0f} s",
            retry_after=wait or DEFAULT_RATE_LIMIT_WAIT,
        )
    if status >= 500:
        return TransientError(f"GitHub {status} while {what}: {message}")
    hints = {
        401: "check GITHUB_TOKEN",
        403: "the token lacks the permission",
        404: "the repository, commit, branch or pull request does not exist, or the token cannot see it",
        422: "GitHub refused the values sent",
    }
    hint = hints.get(status, "GitHub refused the request")
    return PermanentError(f"GitHub {status} while {what}: {message} — {hint}")


@contextmanager
def _github_errors(what: str) -> Iterator[None]:
    try:
        yield
    except (GithubException, requests.RequestException) as exc:
        raise translate(exc, what=what) from exc


def _call(what: str, call: Callable[[], T]) -> T:
    with _github_errors(what):
        return call()


@dataclass(frozen=True)
class PostedStatus:
    id: int
    state: str
    context: str
    url: str


def commit_status_create(
    repo_full_name: str,
    sha: str,
    *,
    state: str,
    context: str,
    description: str,
    target_url: str = "",
) -> PostedStatus:
    """Create a commit status (POST /repos/{owner}/{repo}/statuses/{sha})."""
    if state not in STATUS_STATES:
        raise PermanentError(
            f"{state!r} is not a commit status state; use one of {STATUS_STATES}."
        )
    if len(description) > DESCRIPTION_MAX:
        description = description[: DESCRIPTION_MAX - 1] + "…"
    what = f"posting {context}={state} to {repo_full_name}@{sha[:12]}"
    gh = client()

    def post() -> PostedStatus:
        commit = gh.get_repo(repo_full_name).get_commit(sha)
        kwargs = {"state": state, "context": context, "description": description}
        if target_url:
            kwargs["target_url"] = target_url
        status = commit.create_status(**kwargs)
        return PostedStatus(
            id=status.id, state=status.state, context=status.context, url=status.url
        )

    posted = _call(what, post)
    logger.info(
        "commit status posted",
        extra={"repository": repo_full_name, "sha": sha, "context": context},
    )
    return posted


def repository_get(repo_full_name: str) -> dict:
    """The repository as GitHub describes it (GET /repos/{owner}/{repo})."""
    gh = client()

    def fetch() -> dict:
        repo = gh.get_repo(repo_full_name)
        return {
            "id": repo.id,
            "full_name": repo.full_name,
            "default_branch": repo.default_branch,
        }

    return _call(f"reading {repo_full_name}", fetch)
