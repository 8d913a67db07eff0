"""Idempotency-Key: the first answer to a POST is stored with the request's hash
and replayed for a retry; the same key with a different request is a 409.

The record is inserted in the same transaction as the request's effects, first:
a concurrent retry with the same key waits on the unique index until the first
commits, then replays its answer. A 5xx is rolled back with its effects, so the
client may retry it.
"""

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dashboard.domains.models import Domain
from dashboard.platform.problems import problem
from pipelines.ingest.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def request_hash(*, method: str, path: str, body_digest: str) -> str:
    return hashlib.sha256(f"{method}\n{path}\n{body_digest}".encode()).hexdigest()


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class _Rollback(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def idempotent_call(
    request: HttpRequest,
    *,
    domain: Domain,
    digest: str,
    call: Callable[[], HttpResponse],
) -> HttpResponse:
    """Run `call` once per (domain, Idempotency-Key); see the module docstring."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return call()
    if len(key) > MAX_KEY_LENGTH:
        return problem(400, f"{HEADER} is at most {MAX_KEY_LENGTH} characters.")
    wanted = request_hash(method=request.method, path=request.path, body_digest=digest)
    try:
        with transaction.atomic():
            record, created = IdempotencyRecord.objects.get_or_create(
                domain=domain,
                key=key,
                defaults={
                    "method": request.method,
                    "path": request.path[:500],
                    "request_hash": wanted,
                },
            )
            if not created:
                return _replay(record, wanted)
            response = call()
            if response.status_code >= 500:
                raise _Rollback(response)
            record.status_code = response.status_code
            record.response_body = bytes(response.content)
            record.content_type = response.get("Content-Type", "")[:100]
            record.location = response.get("Location", "")[:500]
            record.save(
                update_fields=[
                    "status_code",
                    "response_body",
                    "content_type",
                    "location",
                ]
            )
            return response
    except _Rollback as rollback:
        return rollback.response


def _replay(record: IdempotencyRecord, wanted: str) -> HttpResponse:
    if record.request_hash != wanted:
        return problem(
            409,
            f"This {HEADER} was used for a different request "
            f"({record.method} {record.path} with another body). Use a new key "
            "for a new request.",
        )
    if record.status_code is None:  # only if a writer crashed mid-transaction
        return problem(409, f"A request with this {HEADER} is still in progress.")
    response = HttpResponse(
        bytes(record.response_body or b""),
        status=record.status_code,
        content_type=record.content_type or "application/json",
    )
    if record.location:
        response["Location"] = record.location
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_keys_purge(*, older_than: timedelta | None = None) -> int:
    """Forget answers older than IDEMPOTENCY_KEY_DAYS: a retry comes within
    minutes, and the table must not grow forever."""
    older_than = older_than or timedelta(days=settings.IDEMPOTENCY_KEY_DAYS)
    cutoff = timezone.now() - older_than
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
