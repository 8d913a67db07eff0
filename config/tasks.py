"""Task conventions in one place: transient errors, the base class, enqueueing.

Every task uses ControlPlaneTask: when its attempts are spent (or it fails with a
permanent error) it is written to the dead-letter table with its arguments, error,
attempt count, request id and domain, from where it can be replayed.
"""

import base64
import json
import logging
import os
import re
import socket
import uuid
from json.encoder import encode_basestring_ascii

from celery import Task
from django.db import transaction
from django.dispatch import Signal

from config import request_context

logger = logging.getLogger(__name__)


class TransientError(Exception):
    """An error that may pass on its own: timeout, 5xx, rate limit, broker blip."""

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """An error that retrying cannot fix: bad credentials, not found, invalid."""


# Defaults for tasks: retry only transient errors, exponential backoff with jitter.
TASK_DEFAULTS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (TransientError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


# Sent when a task fails for good (attempts spent, or a permanent error), with
# task_name, task_id, args, kwargs, error, traceback, attempts. The dashboard's
# platform records it as a dead letter (connected in DashboardConfig.ready()).
task_failed_for_good = Signal()


class ControlPlaneTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        for receiver, error in task_failed_for_good.send_robust(
            sender=type(self),
            task_name=self.name,
            task_id=task_id,
            args=list(args or []),
            kwargs=dict(kwargs or {}),
            error=f"{type(exc).__name__}: {exc}",
            traceback=str(einfo),
            attempts=(self.request.retries or 0) + 1,
        ):
            if isinstance(error, Exception):
                # The dead letter itself failed (database down): the log line is
                # what remains, so make it complete.
                logger.error(
                    "dead letter could not be recorded",
                    exc_info=error,
                    extra={
                        "task_name": self.name,
                        "task_id": task_id,
                        "receiver": getattr(receiver, "__qualname__", str(receiver)),
                    },
                )
        super().on_failure(exc, task_id, args, kwargs, einfo)


def task_named(name: str) -> Task:
    """The registered task called `name`. Services enqueue by name so that they
    never import the tasks modules that import them (tasks call services)."""
    from config.celery import app

    return app.tasks[name]


def enqueue(task: Task | str, *args: object, **kwargs: object) -> bool:
    """Publish now; a broker outage is logged and left to the outbox sweeper."""
    if isinstance(task, str):
        task = task_named(task)
    try:
        task.apply_async(args=args, kwargs=kwargs)
        return True
    except Exception as exc:  # kombu raises several unrelated types when down
        logger.warning(
            "task not enqueued; the sweeper will retry",
            extra={"task_name": task.name, "error": str(exc)},
        )
        return False


def enqueue_on_commit(task: Task | str, *args: object, **kwargs: object) -> None:
    """Publish after the surrounding transaction commits (never before)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def task_options(**overrides: object) -> dict:
    return {**TASK_DEFAULTS, "base": ControlPlaneTask, **overrides}


# --- The light publish: the hot paths' one LPUSH --------------------------------------
# Celery's apply_async costs about 2 ms of Python per message (routing, the
# producer pool, kombu's channel, retries, signals). An accepted webhook or
# CI upload needs none of it: its outbox row is already committed, so the
# message only has to reach the queue once, and if it does not, the sweeper
# publishes it again. publish_light() writes the same protocol-2 message that
# apply_async writes (tests/platform/test_light_publish.py compares them field
# by field and has a real worker run it) with a single Redis LPUSH.
_light: dict[str, object] = {}


def _light_client():
    """One Redis client per process (and broker URL), made on first use."""
    from django.conf import settings

    from config.celery import app

    url = settings.CELERY_BROKER_URL
    if _light.get("url") != url:
        import redis

        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        _light["client"] = redis.Redis.from_url(
            url,
            socket_connect_timeout=app.conf.broker_connection_timeout or 2,
            socket_timeout=options.get("socket_timeout") or 5,
        )
        _light["prefix"] = options.get("global_keyprefix", "")
        _light["origin"] = f"{os.getpid()}@{socket.gethostname()}"
        _light["url"] = url
    return _light["client"]


def _light_queue(task: Task) -> str:
    return _light_task(task)[0]


def _light_task(task: Task) -> tuple[str, list, bool]:
    """What a message of `task` always carries, looked up once per process: its
    queue, its time limits and ignore_result."""
    per_task = _light.setdefault("tasks", {})
    known = per_task.get(task.name)
    if known is None or known[3] is not task:
        from config.celery import app

        route = app.amqp.router.route({}, task.name, (), {})
        known = per_task[task.name] = (
            route["queue"].name,
            [
                task.time_limit or app.conf.task_time_limit,
                task.soft_time_limit or app.conf.task_soft_time_limit,
            ],
            task.ignore_result,
            task,
        )
    return known[:3]


# The message body after the arguments: no kwargs, no canvas (json.dumps's own
# spelling of [args, {}, {...}], so the bytes are the ones it would write).
_LIGHT_BODY_TAIL = (
    ', {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]'
)


def light_message(task: Task, args: tuple) -> dict:
    """The Celery protocol-2 message apply_async would publish for `task(*args)`
    on the Redis transport (priority 0, no eta, no kwargs)."""
    _light_client()
    return _light_fields(task, **_light_values(args))


def _light_values(args: tuple) -> dict[str, str]:
    """What differs from one message of a task to the next."""
    body = ("[" + json.dumps(list(args)) + _LIGHT_BODY_TAIL).encode()
    return {
        "body": base64.b64encode(body).decode(),
        "task_id": str(uuid.uuid4()),
        "argsrepr": repr(tuple(args)),
        "request_id": request_context.current_request_id(),
        "traceparent": request_context.child_traceparent(
            request_context.current_traceparent()
        ),
        "delivery_tag": str(uuid.uuid4()),
    }


def _light_fields(
    task: Task,
    *,
    body: str,
    task_id: str,
    argsrepr: str,
    request_id: str,
    traceparent: str,
    delivery_tag: str,
) -> dict:
    queue, timelimit, ignore_result = _light_task(task)
    return {
        "body": body,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py",
            "task": task.name,
            "id": task_id,
            "shadow": None,
            "eta": None,
            "expires": None,
            "group": None,
            "group_index": None,
            "retries": 0,
            "timelimit": list(timelimit),
            "root_id": task_id,
            "parent_id": None,
            "argsrepr": argsrepr,
            "kwargsrepr": "{}",
            "origin": _light["origin"],
            "ignore_result": ignore_result,
            "replaced_task_nesting": 0,
            "stamped_headers": None,
            "stamps": {},
            "request_id": request_id,
            "traceparent": traceparent,
        },
        "properties": {
            "correlation_id": task_id,
            "reply_to": "",
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": delivery_tag,
        },
    }


def _light_template(task: Task) -> tuple[list[str], list[str]]:
    """json.dumps(light_message(task, …)) cut around its per-message values,
    once per task and process: the text between them, and their names in
    order. Only the values are encoded per message."""
    templates = _light.setdefault("templates", {})
    key = (task.name, _light["origin"])
    known = templates.get(key)
    if known is None or known[2] is not task:
        marks = {name: f"\x00{name}\x00" for name in _LIGHT_SLOTS}
        text = json.dumps(_light_fields(task, **marks))
        by_mark = {json.dumps(mark): name for name, mark in marks.items()}
        cut = re.compile("|".join(re.escape(mark) for mark in by_mark))
        known = templates[key] = (
            cut.split(text),
            [by_mark[m.group()] for m in cut.finditer(text)],
            task,
        )
    return known[0], known[1]


_LIGHT_SLOTS = (
    "body",
    "task_id",
    "argsrepr",
    "request_id",
    "traceparent",
    "delivery_tag",
)


def light_message_text(task: Task, args: tuple) -> str:
    """json.dumps(light_message(task, args)), the same text, written from the
    task's template (json's own string encoder for each value)."""
    _light_client()
    texts, names = _light_template(task)
    values = _light_values(args)
    parts = [texts[0]]
    for name, text in zip(names, texts[1:], strict=True):
        parts.append(encode_basestring_ascii(values[name]))
        parts.append(text)
    return "".join(parts)


def publish_light(task: Task | str, *args: object) -> bool:
    """Publish `task(*args)` with one LPUSH onto its queue's list (Redis broker);
    any other broker goes through enqueue(). A Redis error is logged and left to
    the outbox sweeper, exactly as enqueue() does: only outbox rows use this."""
    from django.conf import settings

    if isinstance(task, str):
        task = task_named(task)
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return enqueue(task, *args)
    try:
        text = light_message_text(task, args)
        _light_client().lpush(f"{_light['prefix']}{_light_queue(task)}", text)
        return True
    except Exception as exc:  # redis raises several unrelated types when down
        logger.warning(
            "task not enqueued; the sweeper will retry",
            extra={"task_name": task.name, "error": str(exc)},
        )
        return False


def publish_light_on_commit(task: Task | str, *args: object) -> None:
    """publish_light() after the surrounding transaction commits (at once when
    there is none)."""
    transaction.on_commit(lambda: publish_light(task, *args))
