"""Request id and trace context on every request; query strings PostgreSQL can
hold; read-your-writes pinning."""

import time
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from config import db_router, request_context

PIN_COOKIE = "cp_primary_until"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestIdMiddleware:
    """Accept or make X-Request-ID, continue W3C traceparent, echo the id back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_context.clean_request_id(
            request.headers.get("X-Request-ID")
        )
        traceparent = request_context.child_traceparent(
            request.headers.get("traceparent")
        )
        request_context.bind(request_id=request_id, traceparent=traceparent)
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            request_context.clear()
        response["X-Request-ID"] = request_id
        response["traceparent"] = traceparent
        return response


def _storable(text: str) -> bool:
    """PostgreSQL text holds no NUL, and UTF-8 no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class QueryStringMiddleware:
    """A query string with a NUL or a lone surrogate is a 400 (handler400) before
    any view sees it: every filter it reaches would be a DataError (a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if not all(_storable(text) for text in (name, *values)):
                raise BadRequest(
                    f"The query parameter {name[:40]!r} holds a NUL or an invalid "
                    "character; remove it."
                )
        return self.get_response(request)


class PrimaryPinMiddleware:
    """After a user writes, send their reads to the primary for a short window.

    The window is kept in a signed cookie, so it costs no lookup and survives
    across worker processes. Within one request, the router pins itself on the
    first write.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        db_router.unpin()
        until = self._pinned_until(request)
        if until and until > time.time():
            db_router.pin_to_primary()
        try:
            response = self.get_response(request)
            # Only a browser session (one it sent, or one this answer starts)
            # reads its own writes back through pages: a webhook or a token
            # client gets no cookie, and the request no signing.
            session = settings.SESSION_COOKIE_NAME
            if (
                request.method in UNSAFE_METHODS
                and response.status_code < 400
                and (session in request.COOKIES or session in response.cookies)
            ):
                window = settings.READ_YOUR_WRITES_SECONDS
                response.set_signed_cookie(
                    PIN_COOKIE,
                    str(time.time() + window),
                    salt=PIN_COOKIE,
                    max_age=window,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response
        finally:
            db_router.unpin()

    @staticmethod
    def _pinned_until(request: HttpRequest) -> float | None:
        try:
            return float(request.get_signed_cookie(PIN_COOKIE, salt=PIN_COOKIE))
        except (KeyError, signing.BadSignature, ValueError):
            return None
