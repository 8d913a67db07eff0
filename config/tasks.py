"""Task conventions in one place: transient errors, the base class, enqueueing.

Every task uses ControlPlaneTask: when its attempts are spent (or it fails with a
permanent error) it is written to the dead-letter table with its arguments, error,
attempt count, request id and domain, from where it can be replayed.
"""

import logging

from celery import Task
from django.db import transaction
from django.dispatch import Signal

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
