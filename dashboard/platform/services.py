"""Writes for the platform: dead letters (record, replay) and the outbox sweeper."""

import logging
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config import request_context
from config.celery import app
from config.tasks import enqueue_on_commit
from dashboard.platform.models import DeadLetter, OutboxRow, OutboxState

logger = logging.getLogger(__name__)


# --- Dead letters ---------------------------------------------------------------------
def dead_letter_record(
    *,
    task_name: str,
    task_id: str,
    args: list,
    kwargs: dict,
    error: str,
    traceback: str = "",
    attempts: int = 1,
) -> DeadLetter:
    domain_id = kwargs.get("domain_id")
    # The domain table belongs to dashboard.domains, a layer above: reach it
    # through the foreign key rather than import it.
    domains = DeadLetter._meta.get_field("domain").related_model.objects
    domain = (
        domains.using("default").filter(pk=domain_id).first() if domain_id else None
    )
    letter = DeadLetter.objects.create(
        task_name=task_name,
        task_id=task_id or "",
        args=args,
        kwargs=kwargs,
        error=error[:10_000],
        traceback=traceback[-20_000:],
        attempts=attempts,
        request_id=request_context.current_request_id(),
        domain=domain,
    )
    logger.error(
        "task dead-lettered",
        extra={
            "task_name": task_name,
            "task_id": task_id,
            "attempts": attempts,
            "dead_letter_id": letter.pk,
            "error": error[:500],
        },
    )
    return letter


def task_failure_received(
    sender: object, signal: object = None, **failure: object
) -> None:
    """Receiver of config.tasks.task_failed_for_good (connected in
    DashboardConfig.ready()): keep the failed task as a dead letter."""
    dead_letter_record(**failure)


def dead_letter_replay(*, letter: DeadLetter) -> str:
    """Send the task again with its original arguments; returns the new task id."""
    result = app.send_task(letter.task_name, args=letter.args, kwargs=letter.kwargs)
    DeadLetter.objects.filter(pk=letter.pk).update(
        replayed_at=timezone.now(), replay_count=letter.replay_count + 1
    )
    return result.id


# --- Outbox -----------------------------------------------------------------------------
def outbox_models() -> list[type[OutboxRow]]:
    return [m for m in apps.get_models() if issubclass(m, OutboxRow)]


def outbox_sweep(*, stale_after: timedelta | None = None, limit: int = 500) -> int:
    """Enqueue again every outbox row accepted but not processed in time; a row
    already enqueued OUTBOX_MAX_ENQUEUES times is marked failed instead."""
    stale_after = stale_after or timedelta(seconds=settings.OUTBOX_STALE_SECONDS)
    max_enqueues = settings.OUTBOX_MAX_ENQUEUES
    cutoff = timezone.now() - stale_after
    swept = 0
    for model in outbox_models():
        unfinished = (
            model.objects.using("default")
            .filter(state__in=[OutboxState.PENDING, OutboxState.PROCESSING])
            .filter(
                Q(enqueued_at__lt=cutoff)
                | Q(enqueued_at__isnull=True, received_at__lt=cutoff)
            )
        )
        exhausted = model.objects.filter(
            pk__in=unfinished.filter(enqueue_count__gte=max_enqueues).values("pk")
        ).update(
            state=OutboxState.FAILED,
            error=(
                f"Not processed after {max_enqueues} enqueues (OUTBOX_MAX_ENQUEUES); "
                "the worker may crash on it. Fix, then replay."
            ),
            processed_at=timezone.now(),
        )
        if exhausted:
            logger.error(
                "outbox rows failed after too many enqueues",
                extra={"model": model.__name__, "failed": exhausted},
            )
        stale = (
            unfinished.filter(enqueue_count__lt=max_enqueues)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in list(stale):
            app.send_task(model.outbox_task_name, args=[pk])
            model.objects.filter(pk=pk).update(
                enqueued_at=timezone.now(),
                enqueue_count=F("enqueue_count") + 1,
            )
            swept += 1
    if swept:
        logger.info("outbox swept", extra={"re_enqueued": swept})
    return swept


@transaction.atomic
def outbox_row_replay(*, row: OutboxRow) -> OutboxRow:
    """Process a failed or ignored delivery again (after its source was mapped,
    or a bug fixed): back to pending and enqueued after commit. For outbox
    models that keep a `reason`, a `replay_count` and `can_replay` (GitHub and
    monitor deliveries); their effects are upserts, so nothing is doubled."""
    model = type(row)
    row = model.objects.select_for_update().get(pk=row.pk)
    if not row.can_replay:
        raise ValueError(f"Only failed or ignored deliveries replay ({row.state}).")
    row.state = OutboxState.PENDING
    row.reason = ""
    row.error = ""
    row.replay_count += 1
    row.enqueued_at = timezone.now()
    # A replay starts a fresh allowance of enqueues (OUTBOX_MAX_ENQUEUES): the
    # sweeper must not fail it again for the attempts before the fix.
    row.enqueue_count = 1
    row.save()
    enqueue_on_commit(model.outbox_task_name, row.pk)
    return row
