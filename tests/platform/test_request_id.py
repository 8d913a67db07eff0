"""One request id from the HTTP request into logs and Celery tasks."""

import json
import logging
import sys

import pytest

from config import request_context


@pytest.mark.django_db
def test_a_request_id_is_echoed_and_a_missing_one_is_made(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="req-abc.123")
    assert response["X-Request-ID"] == "req-abc.123"
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32 and made != "req-abc.123"


@pytest.mark.django_db
def test_an_unsafe_request_id_is_replaced_not_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="evil\r\nSet-Cookie: x=1")
    assert (
        "\n" not in response["X-Request-ID"] and "evil" not in response["X-Request-ID"]
    )


@pytest.mark.django_db
def test_traceparent_is_continued_with_a_new_span(client):
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    out = client.get("/healthz", HTTP_TRACEPARENT=incoming)["traceparent"]
    _version, trace_id, span_id, flags = out.split("-")
    assert trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert span_id != "00f067aa0ba902b7" and flags == "01"


def test_log_lines_are_json_with_the_request_id(capsys):
    from config.logging import json_formatter

    handler = logging.StreamHandler()
    handler.setFormatter(json_formatter())
    log = logging.getLogger("tests.request_id")
    log.addHandler(handler)
    try:
        request_context.bind(request_id="rid-42", traceparent="")
        log.warning("something happened", extra={"pin_id": 7})
    finally:
        request_context.clear()
        log.removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["request_id"] == "rid-42"
    assert line["event"] == "something happened" and line["pin_id"] == 7


def test_the_fast_json_line_is_the_one_structlogs_chain_writes():
    """A plain record is written without structlog's processor chain (the hot
    paths log one per request): the same fields in the same order; a record
    with a traceback still goes through the chain and shows it."""
    from config.logging import JsonFormatter

    formatter = JsonFormatter()
    log = logging.getLogger("tests.fast_line")
    record = log.makeRecord(
        log.name,
        logging.INFO,
        __file__,
        1,
        "delivery %s accepted",
        ("d-1",),
        None,
        extra={"delivery_id": "d-1", "pk": 7, "odd": {1, 2}},
    )
    try:
        request_context.bind(request_id="rid-7", traceparent="")
        fast = json.loads(formatter.format(record))
        chained = json.loads(formatter.structlog.format(record))
    finally:
        request_context.clear()
    assert fast.pop("timestamp")[-1] == "Z" and chained.pop("timestamp")
    assert list(fast.items()) == list(chained.items())
    assert fast["event"] == "delivery d-1 accepted" and fast["request_id"] == "rid-7"
    assert fast["level"] == "info" and fast["odd"] == repr({1, 2})

    try:
        raise ValueError("boom")
    except ValueError:
        failed = log.makeRecord(
            log.name, logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = json.loads(formatter.format(failed))
    assert "ValueError: boom" in line["exception"] and line["level"] == "error"


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
@pytest.mark.django_db(transaction=True)
def test_the_request_id_follows_a_replay_request_into_the_task_log(
    celery_worker, client, redis_store, unique_key
):
    """Staff replays a dead letter over HTTP; the task's log line carries the id of
    that HTTP request."""
    from dashboard.models import DeadLetter
    from tests.factories import UserFactory
    from tests.platform.test_worker import wait_for

    letter = DeadLetter.objects.create(
        task_name="tests.log_request_id", args=[unique_key], error="TransientError"
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        f"/ops/dead-letters/{letter.pk}/replay", HTTP_X_REQUEST_ID="trace-me-7f3a"
    )
    assert response.status_code in (200, 302)
    seen = wait_for(
        lambda: redis_store.get(f"{unique_key}:request_id"),
        30,
        "the task to run",
        celery_worker,
    )
    assert seen.decode() == "trace-me-7f3a"
    task_lines = [
        json.loads(line)
        for line in celery_worker.output().splitlines()
        if line.startswith("{") and "task saw the request id" in line
    ]
    assert task_lines and task_lines[-1]["request_id"] == "trace-me-7f3a"
    assert task_lines[-1]["task_name"] == "tests.log_request_id"
