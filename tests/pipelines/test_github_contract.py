"""Contract tests: PyGithub, through our adapter, talking HTTP to a fake GitHub that
answers as GitHub documents (success and its error semantics)."""

import pytest

from config import request_context
from config.tasks import PermanentError, TransientError
from pipelines.github import client as github

pytest_plugins = ["tests.fakes.plugin"]

SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def post(**overrides):
    kwargs = {
        "state": "failure",
        "context": "controlplane/perf",
        "description": "p95 312 ms > budget 250 ms; +18% vs main",
        "target_url": "https://cp.example.org/d/payments/commits/" + SHA,
    }
    kwargs.update(overrides)
    return github.commit_status_create("octo-org/hello-world", SHA, **kwargs)


def test_a_status_is_posted_exactly_as_github_expects_it(fake_github):
    posted = post()

    assert posted.state == "failure" and posted.context == "controlplane/perf"
    [request] = fake_github.requests
    assert request.method == "POST"
    assert request.path == f"/repos/octo-org/hello-world/statuses/{SHA}"
    assert request.body == {
        "state": "failure",
        "context": "controlplane/perf",
        "description": "p95 312 ms > budget 250 ms; +18% vs main",
        "target_url": f"https://cp.example.org/d/payments/commits/{SHA}",
    }
    assert request.header("Authorization") == f"token {fake_github.token}"
    assert request.header("Content-Type") == "application/json"


def test_the_current_request_id_travels_to_github(fake_github):
    request_context.bind(request_id="req-7f3a", traceparent="")
    try:
        post()
    finally:
        request_context.clear()
    assert fake_github.requests[-1].header("X-Request-ID") == "req-7f3a"


def test_no_request_id_header_when_there_is_none(fake_github):
    post()
    assert fake_github.requests[-1].header("X-Request-ID") is None


def test_a_description_longer_than_github_accepts_is_shortened(fake_github):
    post(description="x" * 500)
    sent = fake_github.requests[-1].body["description"]
    assert len(sent) == github.DESCRIPTION_MAX and sent.endswith("…")


def test_the_target_url_is_left_out_when_there_is_none(fake_github):
    post(target_url="")
    assert "target_url" not in fake_github.requests[-1].body


def test_an_unknown_state_is_refused_before_calling_github(fake_github):
    with pytest.raises(PermanentError, match="not a commit status state"):
        post(state="green")
    assert fake_github.requests == []


def test_the_enterprise_base_url_is_honoured(fake_github, settings):
    # GitHub Enterprise serves the API under /api/v3.
    settings.GITHUB_API_URL = fake_github.url + "/api/v3"
    with pytest.raises(PermanentError):
        post()  # the fake has no /api/v3 prefix: 404, which proves the URL was used
    assert fake_github.requests[-1].path.startswith("/api/v3/repos/octo-org/")


def test_bad_credentials_are_permanent(fake_github, settings):
    settings.GITHUB_TOKEN = "ghp_wrong"
    with pytest.raises(PermanentError, match=r"401.*Bad credentials.*GITHUB_TOKEN"):
        post()


def test_a_missing_token_is_permanent_without_calling_github(fake_github, settings):
    settings.GITHUB_TOKEN = ""
    with pytest.raises(PermanentError, match="GITHUB_TOKEN is not set"):
        post()
    assert fake_github.requests == []


def test_an_unknown_repository_is_permanent(fake_github):
    fake_github.missing_repos.add("octo-org/hello-world")
    with pytest.raises(PermanentError, match=r"404.*Not Found.*does not exist"):
        post()


def test_validation_failed_is_permanent_with_githubs_reason(fake_github):
    fake_github.fail_next("validation")
    with pytest.raises(
        PermanentError, match=r"422.*Validation Failed.*No commit found"
    ):
        post()


def test_forbidden_without_rate_limit_is_permanent(fake_github):
    fake_github.fail_next("forbidden")
    with pytest.raises(PermanentError, match=r"403.*not accessible"):
        post()


def test_rate_limited_is_transient_until_the_reset(fake_github):
    fake_github.rate_limit_reset_in = 90
    fake_github.fail_next("rate_limited")
    with pytest.raises(TransientError, match="rate limit") as caught:
        post()
    # X-RateLimit-Reset is an epoch second 90 s ahead; allow for the clock moving.
    assert 80 <= caught.value.retry_after <= 91
    assert len(fake_github.requests) == 1  # no sleeping inside the worker
    assert fake_github.requests[-1].answered == 403


def test_a_secondary_rate_limit_waits_for_retry_after(fake_github):
    fake_github.fail_next("secondary_rate_limited")
    with pytest.raises(TransientError) as caught:
        post()
    assert caught.value.retry_after == 30


def test_a_bad_gateway_is_transient(fake_github):
    fake_github.fail_next("bad_gateway", times=5)
    with pytest.raises(TransientError, match=r"502.*Bad Gateway"):
        post()
    # PyGithub did not retry by itself: Celery does, with backoff.
    assert len(fake_github.requests) == 1


def test_an_unreachable_github_is_transient(fake_github, settings):
    fake_github.stop()
    with pytest.raises(TransientError, match="unreachable"):
        post()


def test_a_github_that_does_not_answer_in_time_is_transient(settings):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    settings.GITHUB_API_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"
    settings.GITHUB_TOKEN = "ghp_x"
    settings.GITHUB_TIMEOUT_SECONDS = 1
    try:
        with pytest.raises(TransientError, match="did not answer in time"):
            post()
    finally:
        listener.close()


def test_after_a_failure_the_next_call_succeeds(fake_github):
    fake_github.fail_next("bad_gateway")
    with pytest.raises(TransientError):
        post()
    post(state="success")
    assert [s["state"] for s in fake_github.statuses("octo-org/hello-world", SHA)] == [
        "success"
    ]


def test_repository_get_reads_the_repository(fake_github):
    repo = github.repository_get("octo-org/hello-world")
    assert repo["full_name"] == "octo-org/hello-world"
    assert repo["default_branch"] == "main"
    assert fake_github.requests[-1].path == "/repos/octo-org/hello-world"
