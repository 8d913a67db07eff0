"""Incident tasks: process a monitor delivery (ids in, one idempotent service
call; a lost connection retries, a value the database refuses fails the
delivery at once, replayable), and refresh the stored DORA summaries (the
beat's, every DORA_SUMMARY_SECONDS, and one domain's on a change)."""

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from config.tasks import TransientError, task_options
from incidents.models import MonitorDelivery
from incidents.services.dora_summaries import (
    REFRESH_TASK,
    dora_summaries_refresh,
    dora_summary_refresh_by_id,
)
from incidents.services.monitors import monitor_delivery_fail, monitor_delivery_process


@shared_task(name=MonitorDelivery.outbox_task_name, **task_options())
def process_monitor_delivery_task(self, delivery_id: int) -> str:
    try:
        return monitor_delivery_process(delivery_id=delivery_id)
    except (InterfaceError, OperationalError) as exc:
        raise TransientError(f"database: {exc}") from exc
    except DatabaseError as exc:  # DataError, IntegrityError: permanent
        first = (str(exc).strip().splitlines() or [""])[0]
        return monitor_delivery_fail(
            delivery_id=delivery_id,
            reason=f"The database refused this data ({type(exc).__name__}: {first})",
            error=str(exc),
        )


# No retries: the next beat (or the next change) computes the same thing again.
@shared_task(name="incidents.dora_summaries_refresh", **task_options(max_retries=0))
def dora_summaries_refresh_task(self) -> int:
    return dora_summaries_refresh()


@shared_task(name=REFRESH_TASK, **task_options(max_retries=0))
def dora_summary_refresh_task(self, domain_id: int) -> bool:
    return dora_summary_refresh_by_id(domain_id=domain_id)
