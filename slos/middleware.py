"""Counts every request for the control plane's own SLOs (slos/own.py)."""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import empty

from config import request_context
from slos import own

# Probes and static files say nothing about the service people use.
_SKIP = ("/healthz", "/readyz", "/favicon.ico")


def _authenticated(request: HttpRequest) -> bool:
    """A valid API token, or a signed-in person — the user only if the view
    looked it up already (reading it here would cost a session query)."""
    if getattr(request, "auth", None) is not None:
        return True
    user = getattr(request, "user", None)
    wrapped = getattr(user, "_wrapped", empty)
    return wrapped is not empty and bool(getattr(wrapped, "is_authenticated", False))


class OwnSliMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.static = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(self.static) or path.startswith(_SKIP):
            return self.get_response(request)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            own.request_count(
                at=timezone.now(),
                seconds=time.perf_counter() - started,
                status=status,
                authenticated=_authenticated(request),
                denied=request_context.was_denied(),
            )
