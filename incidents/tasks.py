"""Incident tasks: process a monitor delivery. Ids in, one idempotent service
call; a lost connection retries, a value the database refuses fails the
delivery at once (replayable)."""

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from config.tasks import TransientError, task_options
from incidents.models import MonitorDelivery
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
