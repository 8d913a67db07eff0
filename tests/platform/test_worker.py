"""A real worker on a real broker: retries, dead letters, redelivery after a kill."""

import time

import pytest

from dashboard.models import DeadLetter
from tests.factories import DomainFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("worker"),
    pytest.mark.django_db(transaction=True),
]


def wait_for(predicate, timeout: float = 30, what: str = "condition", worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    log = worker.output()[-3000:] if worker else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def send(name: str, *args, **kwargs):
    from config.celery import app

    return app.send_task(name, args=args, kwargs=kwargs)


def test_a_task_that_fails_twice_then_succeeds_ends_succeeded(
    celery_worker, redis_store, unique_key
):
    send("tests.fails_twice_then_succeeds", unique_key)
    retries = wait_for(
        lambda: redis_store.get(f"{unique_key}:done"),
        40,
        "the third attempt",
        celery_worker,
    )
    assert int(retries) == 2
    assert int(redis_store.get(f"{unique_key}:attempts")) == 3
    assert not DeadLetter.objects.filter(
        task_name="tests.fails_twice_then_succeeds"
    ).exists()


def test_a_task_that_always_fails_lands_in_the_dead_letter_table(
    celery_worker, redis_store, unique_key
):
    domain = DomainFactory()
    send("tests.always_fails", unique_key, domain_id=domain.pk)
    letter = wait_for(
        lambda: DeadLetter.objects.filter(task_name="tests.always_fails").first(),
        40,
        "a dead letter",
        celery_worker,
    )
    assert int(redis_store.get(f"{unique_key}:attempts")) == 3  # 1 + max_retries=2
    assert letter.attempts == 3
    assert letter.args == [unique_key]
    assert letter.kwargs == {"domain_id": domain.pk}
    assert letter.domain == domain
    assert "upstream keeps timing out" in letter.error
    assert letter.replayed_at is None


def test_a_permanent_error_is_not_retried(celery_worker, redis_store, unique_key):
    send("tests.fails_permanently", unique_key)
    letter = wait_for(
        lambda: DeadLetter.objects.filter(task_name="tests.fails_permanently").first(),
        30,
        "a dead letter",
        celery_worker,
    )
    assert letter.attempts == 1
    assert int(redis_store.get(f"{unique_key}:attempts")) == 1
    assert "PermanentError" in letter.error


def test_a_dead_letter_replayed_runs_again(celery_worker, redis_store, unique_key):
    from django.core.management import call_command

    send("tests.always_fails", unique_key)
    letter = wait_for(
        lambda: DeadLetter.objects.filter(task_name="tests.always_fails").first(),
        40,
        "a dead letter",
        celery_worker,
    )
    call_command("replay_dead_letters", str(letter.pk))
    wait_for(
        lambda: int(redis_store.get(f"{unique_key}:attempts") or 0) >= 4,
        30,
        "the replayed task",
        celery_worker,
    )
    letter.refresh_from_db()
    assert letter.replayed_at is not None and letter.replay_count == 1


def test_a_worker_killed_mid_task_leads_to_the_task_running_to_completion(
    transactional_db, worker_log, redis_store, unique_key
):
    from tests.support.worker import WorkerProcess, purge_broker

    purge_broker()
    first = WorkerProcess(worker_log).start()
    try:
        send("tests.slow_task", unique_key, 4)
        wait_for(
            lambda: redis_store.get(f"{unique_key}:starts"),
            30,
            "the task to start",
            first,
        )
        first.kill()  # SIGKILL to the whole worker: nothing gets to acknowledge
    finally:
        first.stop()
    assert redis_store.get(f"{unique_key}:done") is None

    second = WorkerProcess(worker_log).start()
    try:
        # The broker hands the unacknowledged message out again after the
        # visibility timeout (CELERY_VISIBILITY_TIMEOUT, 8 s in tests).
        wait_for(
            lambda: redis_store.get(f"{unique_key}:done"),
            60,
            "the redelivered task to finish",
            second,
        )
    finally:
        second.stop()
    assert int(redis_store.get(f"{unique_key}:starts")) == 2


def test_a_pool_process_killed_mid_task_is_requeued_at_once(
    celery_worker, redis_store, unique_key
):
    import os
    import signal

    send("tests.slow_task", unique_key, 3)
    wait_for(
        lambda: redis_store.get(f"{unique_key}:starts"),
        30,
        "the task to start",
        celery_worker,
    )
    for pid in celery_worker.child_pids():
        os.kill(pid, signal.SIGKILL)
    wait_for(
        lambda: redis_store.get(f"{unique_key}:done"),
        40,
        "the requeued task to finish",
        celery_worker,
    )
    assert int(redis_store.get(f"{unique_key}:starts")) == 2


def test_a_dead_letter_keeps_the_request_id_of_the_work_that_sent_it(
    celery_worker, unique_key
):
    from config import request_context

    request_context.bind(request_id="req-dead-letter-1", traceparent="")
    try:
        send("tests.fails_permanently", unique_key)
    finally:
        request_context.clear()
    letter = wait_for(
        lambda: DeadLetter.objects.filter(task_name="tests.fails_permanently").first(),
        30,
        "a dead letter",
        celery_worker,
    )
    assert letter.request_id == "req-dead-letter-1"
