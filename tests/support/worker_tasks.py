"""Tasks that exist only for the worker tests; loaded with `celery worker -I`.

They keep their observable state in Redis so the test process can watch them.
"""

import logging
import os
import time

import redis
from celery import shared_task

from config import request_context
from config.tasks import PermanentError, TransientError, task_options

logger = logging.getLogger("tests.worker_tasks")


def store() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


@shared_task(
    name="tests.fails_twice_then_succeeds",
    **task_options(retry_backoff=1, retry_backoff_max=2),
)
def fails_twice_then_succeeds(self, key: str) -> None:
    attempt = store().incr(f"{key}:attempts")
    if attempt <= 2:
        raise TransientError(f"attempt {attempt} failed on purpose")
    store().set(f"{key}:done", self.request.retries)


@shared_task(
    name="tests.always_fails",
    **task_options(max_retries=2, retry_backoff=1, retry_backoff_max=1),
)
def always_fails(self, key: str, domain_id: int | None = None) -> None:
    store().incr(f"{key}:attempts")
    raise TransientError("upstream keeps timing out")


@shared_task(name="tests.fails_permanently", **task_options())
def fails_permanently(self, key: str) -> None:
    store().incr(f"{key}:attempts")
    raise PermanentError("422 Unprocessable Entity: the sha does not exist")


@shared_task(name="tests.slow_task", **task_options())
def slow_task(self, key: str, seconds: float) -> None:
    store().incr(f"{key}:starts")
    time.sleep(seconds)
    store().set(f"{key}:done", "1")


@shared_task(name="tests.log_request_id", **task_options())
def log_request_id(self, key: str) -> None:
    logger.info("task saw the request id")
    store().set(f"{key}:request_id", request_context.current_request_id())
