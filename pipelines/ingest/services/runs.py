"""Runs and jobs: idempotent upserts that never move a run backwards."""

import logging
from datetime import UTC, datetime
from typing import TypeVar

from django.db import models, transaction
from django.utils import timezone

from dashboard.domains.models import Repository
from dashboard.platform.cleaning import fit
from dashboard.platform.upserts import Upserted, insert_unless_present
from pipelines.ingest.models import (
    CONCLUSION_SEVERITY,
    STATUS_RANK,
    Job,
    Run,
    RunStatus,
)
from pipelines.ingest.signals import commit_evidence_changed

M = TypeVar("M", bound=models.Model)

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Fields that describe a run rather than its progress: filled in whenever they
# are still blank, whatever the order of the events that carry them.
RUN_DESCRIPTIVE = (
    "head_sha",
    "branch",
    "pull_request_number",
    "workflow",
    "event",
    "run_number",
    "url",
)
# Fields that change as a run progresses: only a newer report may change them.
RUN_PROGRESS = ("status", "conclusion", "completed_at", "source_updated_at")


def progress_key(
    status: str, source_updated_at: datetime | None, conclusion: str
) -> tuple[int, datetime, int]:
    """The order reports of one run (or job) are applied in: status first, then
    the provider's timestamp, then the more severe conclusion on an exact tie,
    so the final state is the same whatever order deliveries arrive in."""
    return (
        STATUS_RANK.get(status, 1),
        source_updated_at or _EPOCH,
        CONCLUSION_SEVERITY.get(conclusion or "", 0),
    )


def is_newer(current: Run | Job, incoming: dict) -> bool:
    return progress_key(
        incoming.get("status", RunStatus.QUEUED),
        incoming.get("source_updated_at"),
        incoming.get("conclusion", ""),
    ) > progress_key(current.status, current.source_updated_at, current.conclusion)


def locked_get_or_create(model, lookup: dict, defaults: dict):
    """select_for_update, creating the row if absent (INSERT … ON CONFLICT DO
    NOTHING: no savepoint); a concurrent creator loses the unique-constraint
    race and reads the winner's row instead."""
    # Text cleaned and cut to its column, integers checked against theirs.
    lookup, defaults = fit(model, lookup), fit(model, defaults)
    row = model.objects.select_for_update().filter(**lookup).first()
    if row is not None:
        return row, False
    row = model(**lookup, **defaults)
    if insert_unless_present(row) is not None:
        return row, True
    return model.objects.select_for_update().get(**lookup), False


def _apply(obj, incoming: dict, *, descriptive: tuple, progress: tuple) -> bool:
    changed = []
    for field in descriptive:
        value = incoming.get(field)
        if value not in (None, "") and getattr(obj, field) in (None, ""):
            setattr(obj, field, value)
            changed.append(field)
    if is_newer(obj, incoming):
        for field in progress:
            if field in incoming and getattr(obj, field) != incoming[field]:
                setattr(obj, field, incoming[field])
                changed.append(field)
        for field in descriptive:  # a newer report may also correct descriptions
            value = incoming.get(field)
            if value not in (None, "") and getattr(obj, field) != value:
                setattr(obj, field, value)
                changed.append(field)
    if changed:
        obj.save()
    return bool(changed)


@transaction.atomic
def run_upsert(
    *,
    provider: str,
    repository: Repository,
    external_id: str,
    attempt: int = 1,
    started_at: datetime | None = None,
    **incoming: object,
) -> Upserted[Run]:
    """Create or advance the run (provider, repository, external_id, attempt)."""
    lookup = {
        "provider": provider,
        "repository": repository,
        "external_id": str(external_id),
        "attempt": attempt or 1,
    }
    incoming = fit(Run, {k: v for k, v in incoming.items() if v is not None})
    incoming = {k: v for k, v in incoming.items() if v is not None}
    defaults = {
        "domain_id": repository.domain_id,
        "started_at": started_at or timezone.now(),
        **{k: incoming[k] for k in (*RUN_DESCRIPTIVE, *RUN_PROGRESS) if k in incoming},
    }
    run, created = locked_get_or_create(Run, lookup, defaults)
    was_completed = run.status == RunStatus.COMPLETED
    if created:
        status = "created"
    else:
        changed = _apply(
            run, incoming, descriptive=RUN_DESCRIPTIVE, progress=RUN_PROGRESS
        )
        # The earliest start reported wins: a run first seen through one of its
        # jobs carries that job's start until the run's own start is known.
        if started_at and started_at < run.started_at:
            run.started_at = started_at
            run.save(update_fields=["started_at", "updated_at"])
            changed = True
        if run.domain_id != repository.domain_id:  # the repository moved domains
            run.domain_id = repository.domain_id
            run.save(update_fields=["domain", "updated_at"])
        status = "updated" if changed else "unchanged"
    if run.status == RunStatus.COMPLETED and (created or not was_completed):
        commit_data_changed(repository_id=repository.pk, sha=run.head_sha)
    return Upserted(run, status)


JOB_DESCRIPTIVE = ("name", "runner_name", "url", "started_at")
JOB_PROGRESS = ("status", "conclusion", "completed_at", "source_updated_at")


@transaction.atomic
def job_upsert(*, run: Run, external_id: str, **incoming: object) -> Upserted:
    incoming = fit(Job, {k: v for k, v in incoming.items() if v is not None})
    incoming = {k: v for k, v in incoming.items() if v is not None}
    lookup = {"run": run, "external_id": str(external_id)}
    defaults = {
        k: incoming[k] for k in (*JOB_DESCRIPTIVE, *JOB_PROGRESS) if k in incoming
    }
    job, created = locked_get_or_create(Job, lookup, defaults)
    if created:
        return Upserted(job, "created")
    changed = _apply(job, incoming, descriptive=JOB_DESCRIPTIVE, progress=JOB_PROGRESS)
    return Upserted(job, "updated" if changed else "unchanged")


def commit_data_changed(*, repository_id: int, sha: str) -> None:
    """Announce, after commit, that a commit has new CI evidence (the gates
    judge it again: see pipelines.ingest.signals)."""
    if not sha:
        return
    transaction.on_commit(
        lambda: commit_evidence_changed.send(
            sender=Run, repository_id=repository_id, sha=sha
        )
    )


def evidence_upsert(
    model: type[M], *, lookup: dict, values: dict, repository_id: int, sha: str
) -> Upserted[M]:
    """Store one piece of a commit's evidence (a performance sample, a query
    plan) under its natural key. The same figures again change nothing and
    announce nothing; new or different figures announce the commit's evidence
    changed (the gates judge it again)."""
    row, created = locked_get_or_create(model, lookup, values)
    if not created and all(getattr(row, f) == v for f, v in values.items()):
        return Upserted(row, "unchanged")
    if not created:
        for field, value in values.items():
            setattr(row, field, value)
        row.save()
    commit_data_changed(repository_id=repository_id, sha=sha)
    return Upserted(row, "created" if created else "updated")
