"""The Celery app: request-id propagation, dead letters, and the task base class."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("controlplane")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _refuse_development_key(**_: object) -> None:
    """A worker, like the web server, will not run on the public key unless
    DEBUG=1 (it signs sessions when it warms caches)."""
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import refuse_development_key

    try:
        refuse_development_key()
    except ImproperlyConfigured as exc:
        # Celery logs and ignores exceptions from signal handlers; this one must
        # stop the worker.
        raise SystemExit(f"worker not started: {exc}") from exc


@signals.before_task_publish.connect
def _attach_request_id(headers: dict | None = None, **_: object) -> None:
    """Carry the publishing request's id and trace into the task message."""
    from config import request_context

    if headers is None:
        return
    headers.setdefault("request_id", request_context.current_request_id())
    headers.setdefault(
        "traceparent",
        request_context.child_traceparent(request_context.current_traceparent()),
    )


@signals.task_prerun.connect
def _bind_request_id(task=None, task_id: str = "", **_: object) -> None:
    from config import db_router, request_context

    request = task.request
    request_id = getattr(request, "request_id", None) or (
        (request.headers or {}).get("request_id") if request.headers else None
    )
    traceparent = getattr(request, "traceparent", None) or ""
    request_context.bind(
        request_id=request_id or request_context.new_request_id(),
        traceparent=traceparent,
        task_id=task_id,
        task_name=task.name,
    )
    # A task processes what was just written: read it from the primary.
    db_router.pin_to_primary()


@signals.task_postrun.connect
def _unbind_request_id(**_: object) -> None:
    from config import db_router, request_context

    request_context.clear()
    db_router.unpin()
