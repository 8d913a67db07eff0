"""Writes for schema targets and the schemas received for them (entity graphs,
snapshots, introspections). Every received schema leads to a drift check."""

import hashlib
import json
import logging
import os
import re

import psycopg
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.tasks import PermanentError, TransientError, enqueue_on_commit
from dashboard.domains.models import Domain, Repository
from dashboard.domains.services import audit_record
from pipelines.drift.introspect import connect_read_only, schema_introspect, scrub
from pipelines.drift.models import SchemaDocument, SchemaSource, SchemaTarget
from pipelines.drift.schema import schema_normalize

logger = logging.getLogger(__name__)

CHECK_TASK = "pipelines.drift_check"
INTROSPECT_TASK = "pipelines.drift_introspect"
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]{0,99}$")
TARGET_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")


class TargetInvalid(ValueError):
    """A schema target cannot be made as asked; the message says why."""


def schema_digest(schema: dict) -> str:
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def schema_target_add(
    *,
    domain: Domain,
    name: str,
    dsn_env: str = "",
    schema_name: str = "public",
    allow_destructive: bool = False,
    actor_label: str = "",
) -> SchemaTarget:
    """Register (or change) a target. Only the NAME of the variable holding the
    DSN is kept; its value is read when introspecting, never stored."""
    if not TARGET_NAME_RE.match(name):
        raise TargetInvalid(
            f"{name!r} is not a target name: lowercase letters, digits and hyphens, "
            "at most 50."
        )
    if dsn_env and not ENV_NAME_RE.match(dsn_env):
        raise TargetInvalid(
            f"{dsn_env!r} is not an environment variable name (A-Z, 0-9, _). Pass "
            "the variable's NAME, never the DSN itself."
        )
    if not schema_name or len(schema_name.encode()) > 63 or "\x00" in schema_name:
        raise TargetInvalid("The schema name must be 1 to 63 bytes.")
    target, created = SchemaTarget.objects.update_or_create(
        domain=domain,
        name=name,
        defaults={
            "dsn_env": dsn_env,
            "schema_name": schema_name,
            "allow_destructive": allow_destructive,
        },
    )
    audit_record(
        actor=None,
        actor_label=actor_label or "operator",
        action="schema_target.add" if created else "schema_target.change",
        domain=domain,
        obj=target,
        after={
            "name": name,
            "dsn_env": dsn_env,
            "schema": schema_name,
            "allow_destructive": allow_destructive,
        },
    )
    return target


def target_of(domain: Domain, name: str) -> SchemaTarget | None:
    return SchemaTarget.objects.filter(domain=domain, name=name).first()


@transaction.atomic
def schema_document_record(
    *,
    target: SchemaTarget,
    source: str,
    document: dict,
    repository: Repository | None,
    commit_sha: str,
) -> tuple[SchemaDocument, bool]:
    """Store a posted graph or snapshot (SchemaInvalid lists every problem).
    Idempotent per (target, source, commit): the same document again changes
    nothing; another one for the same commit replaces it. True when new."""
    schema = schema_normalize(document)
    digest = schema_digest(schema)
    existing = (
        SchemaDocument.objects.select_for_update()
        .filter(target=target, source=source, commit_sha=commit_sha)
        .first()
    )
    if existing is not None and existing.digest == digest:
        return existing, False
    if existing is not None:
        existing.schema, existing.digest = schema, digest
        existing.repository = repository
        existing.received_at = timezone.now()
        existing.save(update_fields=["schema", "digest", "repository", "received_at"])
        doc, created = existing, False
    else:
        doc = SchemaDocument.objects.create(
            domain_id=target.domain_id,
            target=target,
            source=source,
            repository=repository,
            commit_sha=commit_sha,
            schema=schema,
            digest=digest,
        )
        created = True
    drift_check_enqueue(target)
    return doc, created


def drift_check_enqueue(target: SchemaTarget) -> None:
    enqueue_on_commit(CHECK_TASK, target.pk, domain_id=target.domain_id)


def schema_target_introspect(*, target_id: int) -> SchemaDocument | None:
    """Read the target's live schema (read-only, with a statement timeout) and
    keep it when it changed. Not atomic: a failure stays recorded."""
    target = SchemaTarget.objects.using("default").filter(pk=target_id).first()
    if target is None or not target.dsn_env:
        return None
    dsn = os.environ.get(target.dsn_env, "")
    if not dsn:
        message = (
            f"The environment variable {target.dsn_env} is not set where the "
            "worker runs: set it to the target's DSN."
        )
        SchemaTarget.objects.filter(pk=target.pk).update(introspect_error=message)
        raise PermanentError(message)
    try:
        with connect_read_only(
            dsn, timeout_ms=settings.DRIFT_STATEMENT_TIMEOUT_MS
        ) as conn:
            schema, warnings = schema_introspect(conn, target.schema_name)
    except psycopg.Error as exc:
        # psycopg's messages name the host, user, database: never the DSN.
        message = f"Introspection of {target.name} failed: " + scrub(str(exc), dsn)
        SchemaTarget.objects.filter(pk=target.pk).update(
            introspect_error=message[:2000]
        )
        logger.warning(
            "schema introspection failed",
            extra={"target": target.name, "error": message[:500]},
        )
        if isinstance(exc, psycopg.OperationalError):
            raise TransientError(message) from None
        raise PermanentError(message) from None
    return _introspection_store(target=target, schema=schema, warnings=warnings)


@transaction.atomic
def _introspection_store(
    *, target: SchemaTarget, schema: dict, warnings: list[str]
) -> SchemaDocument:
    digest = schema_digest(schema)
    now = timezone.now()
    SchemaTarget.objects.filter(pk=target.pk).update(
        introspected_at=now, introspect_error=""
    )
    latest = SchemaDocument.objects.filter(
        target=target, source=SchemaSource.INTROSPECTION
    ).first()
    if latest is not None and latest.digest == digest:
        SchemaDocument.objects.filter(pk=latest.pk).update(received_at=now)
        drift_check_enqueue(target)
        return latest
    doc = SchemaDocument.objects.create(
        domain_id=target.domain_id,
        target=target,
        source=SchemaSource.INTROSPECTION,
        schema=schema,
        digest=digest,
        warnings=warnings,
    )
    drift_check_enqueue(target)
    return doc


def schema_targets_introspect_enqueue() -> int:
    """The beat's job: introspect every target that has a DSN variable."""
    count = 0
    for target_id, domain_id in SchemaTarget.objects.exclude(dsn_env="").values_list(
        "pk", "domain_id"
    ):
        enqueue_on_commit(INTROSPECT_TASK, target_id, domain_id=domain_id)
        count += 1
    return count
