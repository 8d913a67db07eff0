"""Shared plumbing for the /api/v1 views: bounded body reads, JSON bodies,
field validation with problem+json answers, the repository of a token's domain."""

import json
from collections.abc import Iterator
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime

from dashboard.domains.models import Domain, Repository
from dashboard.platform.problems import problem


class ApiError(Exception):
    """Raised by validation helpers; turned into problem+json by the view."""

    def __init__(self, status: int, detail: str, **extra: object):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = extra

    def response(self) -> HttpResponse:
        return problem(self.status, self.detail, **self.extra)


def method_not_allowed(allowed: str) -> HttpResponse:
    response = problem(405, f"Use {allowed} on this endpoint.")
    response["Allow"] = allowed
    return response


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


def read_body(request: HttpRequest, *, limit: int) -> bytes:
    """The whole body, refused with 413 once Content-Length or the bytes
    actually sent pass `limit`."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise ApiError(413, f"The body is {declared} bytes; the limit is {limit}.")
    parts, size = [], 0
    for chunk in body_chunks(request):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"The body is larger than the limit of {limit} bytes.")
        parts.append(chunk)
    return b"".join(parts)


def json_object(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.")
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return data


class Fields:
    """Collects every field error of a body, so the client fixes them at once."""

    def __init__(self, data: dict):
        self.data = data
        self.errors: list[dict[str, str]] = []

    def _missing(self, name: str, required: bool) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                self.errors.append({"field": name, "detail": "This field is required."})
            return True
        return False

    def text(self, name: str, *, required: bool = False, max_length: int = 255) -> str:
        if self._missing(name, required):
            return ""
        value = self.data[name]
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.errors.append({"field": name, "detail": "Must be a string."})
            return ""
        if len(value) > max_length:
            self.errors.append(
                {"field": name, "detail": f"At most {max_length} characters."}
            )
            return ""
        return value

    def choice(
        self, name: str, choices: list[str], *, required: bool = False, default=""
    ) -> str:
        if self._missing(name, required):
            return default
        value = self.data[name]
        if value not in choices:
            self.errors.append(
                {"field": name, "detail": f"One of: {', '.join(choices)}."}
            )
            return default
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int = 0, default=None
    ) -> int | None:
        if self._missing(name, required):
            return default
        value = self.data[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.errors.append(
                {"field": name, "detail": f"Must be a whole number ≥ {minimum}."}
            )
            return default
        return value

    def number(
        self, name: str, *, required: bool = False, minimum: float = 0.0
    ) -> float | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or value != value  # NaN
            or value in (float("inf"), float("-inf"))
            or value < minimum
        ):
            self.errors.append(
                {"field": name, "detail": f"Must be a finite number ≥ {minimum}."}
            )
            return None
        return float(value)

    def timestamp(self, name: str, *, required: bool = False) -> datetime | None:
        if self._missing(name, required):
            return None
        value = self.data[name]
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None or parsed.tzinfo is None:
            self.errors.append(
                {
                    "field": name,
                    "detail": "An ISO 8601 time with its offset, "
                    "e.g. 2026-02-28T12:00:00Z.",
                }
            )
            return None
        return parsed

    def sha(self, name: str, *, required: bool = False) -> str:
        value = self.text(name, required=required, max_length=64)
        if value and not all(c in "0123456789abcdefABCDEF" for c in value):
            self.errors.append({"field": name, "detail": "A hex commit sha."})
            return ""
        if value and len(value) < 7:
            self.errors.append({"field": name, "detail": "At least 7 hex digits."})
            return ""
        return value.lower()

    def check(self) -> None:
        if self.errors:
            raise ApiError(
                422,
                "; ".join(f"{e['field']}: {e['detail']}" for e in self.errors),
                errors=self.errors,
            )


def repository_of(domain: Domain, full_name: str) -> Repository:
    """The repository, if mapped to the token's domain; else 422 saying so."""
    repository = domain.repositories.filter(full_name__iexact=full_name).first()
    if repository is None:
        raise ApiError(
            422,
            f"Repository {full_name} is not mapped to domain {domain.slug}; map it "
            "first (python manage.py map_repository).",
            errors=[{"field": "repository", "detail": "Not mapped to this domain."}],
        )
    return repository


def isoformat(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
