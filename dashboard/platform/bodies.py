"""Raw request bodies read within a limit, for the API endpoints that do not
let ninja parse them (the GitHub webhook, JUnit uploads, budgets and SLO files):
refused with 413 from Content-Length before a byte is read, or as soon as the
bytes actually sent pass the limit."""

from collections.abc import Callable, Iterator

from django.http import HttpRequest

from dashboard.platform.api import ApiProblem


def declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def body_chunks(request: HttpRequest, size: int = 64 * 1024) -> Iterator[bytes]:
    """The raw body in chunks, straight from the stream (never request.body,
    whose size check trusts Content-Length alone)."""
    while True:
        chunk = request.read(size)
        if not chunk:
            return
        yield chunk


def read_body(
    request: HttpRequest,
    *,
    limit: int,
    on_chunk: Callable[[bytes], None] | None = None,
) -> bytes:
    """The whole body, refused with 413 once Content-Length (before reading a
    byte) or the bytes actually sent pass `limit`. `on_chunk` sees every chunk
    as it arrives (the webhook's signature is computed that way)."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise ApiProblem(413, f"The body is {declared} bytes; the limit is {limit}.")
    parts, size = [], 0
    for chunk in body_chunks(request):
        size += len(chunk)
        if size > limit:
            raise ApiProblem(
                413, f"The body is larger than the limit of {limit} bytes."
            )
        if on_chunk is not None:
            on_chunk(chunk)
        parts.append(chunk)
    return b"".join(parts)
