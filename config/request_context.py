"""The request id and W3C trace context of the work in hand (HTTP request or task).

Kept in contextvars so logs, Celery headers, GitHub calls and audit rows can read
it without passing it through every function.
"""

import re
import secrets
import uuid
from contextvars import ContextVar

import structlog

_request_id: ContextVar[str] = ContextVar("request_id", default="")
_traceparent: ContextVar[str] = ContextVar("traceparent", default="")
# Set when a permission denial is recorded while handling the request in hand
# (the control plane's own permission-denials SLI reads it).
_denied: ContextVar[bool] = ContextVar("denied", default=False)

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_TRACEPARENT_RE = re.compile(
    r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$"
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def clean_request_id(value: str | None) -> str:
    """An incoming X-Request-ID if it is safe to log and echo, else a new one."""
    if value and _REQUEST_ID_RE.match(value):
        return value
    return new_request_id()


def child_traceparent(incoming: str | None) -> str:
    """Continue the caller's trace with a new span id, or start a new trace."""
    match = _TRACEPARENT_RE.match((incoming or "").strip().lower())
    if match and match.group(2) != "0" * 32 and match.group(3) != "0" * 16:
        trace_id, flags = match.group(2), match.group(4)
    else:
        trace_id, flags = secrets.token_hex(16), "01"
    return f"00-{trace_id}-{secrets.token_hex(8)}-{flags}"


def trace_id_of(traceparent: str) -> str:
    match = _TRACEPARENT_RE.match(traceparent or "")
    return match.group(2) if match else ""


def bind(*, request_id: str, traceparent: str = "", **extra: object) -> None:
    """Make the id current for this thread/task and for every log line."""
    _request_id.set(request_id)
    _traceparent.set(traceparent)
    _denied.set(False)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=request_id, trace_id=trace_id_of(traceparent), **extra
    )


def clear() -> None:
    _request_id.set("")
    _traceparent.set("")
    _denied.set(False)
    structlog.contextvars.clear_contextvars()


def current_request_id() -> str:
    return _request_id.get()


def current_traceparent() -> str:
    return _traceparent.get()


def mark_denied() -> None:
    _denied.set(True)


def was_denied() -> bool:
    return _denied.get()
