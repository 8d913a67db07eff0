"""Ingestion tasks: process a webhook delivery, parse a JUnit report, purge old
idempotency keys. Thin: ids in, one idempotent service call. A lost connection
retries; a value the database refuses fails the row at once (state `failed`,
with the reason, replayable), since retrying the same data cannot help."""

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from config.tasks import TransientError, task_options
from pipelines.ingest.models import TestReport, WebhookDelivery
from pipelines.ingest.services.idempotency import idempotency_keys_purge
from pipelines.ingest.services.junit import report_fail, report_parse
from pipelines.ingest.services.webhooks import delivery_fail, delivery_process


def _refused(exc: DatabaseError) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"The database refused this data ({type(exc).__name__}: {first})"


@shared_task(name=WebhookDelivery.outbox_task_name, **task_options())
def process_delivery_task(self, delivery_id: int) -> str:
    try:
        return delivery_process(delivery_id=delivery_id)
    except (InterfaceError, OperationalError) as exc:
        raise TransientError(f"database: {exc}") from exc
    except DatabaseError as exc:  # DataError, IntegrityError: permanent
        return delivery_fail(
            delivery_id=delivery_id, reason=_refused(exc)[:300], error=str(exc)
        )


@shared_task(name=TestReport.outbox_task_name, **task_options())
def parse_junit_task(self, report_id: int) -> str:
    try:
        return report_parse(report_id=report_id)
    except (InterfaceError, OperationalError) as exc:
        raise TransientError(f"database: {exc}") from exc
    except DatabaseError as exc:
        return report_fail(report_id=report_id, reason=_refused(exc))


@shared_task(name="pipelines.purge_idempotency_keys", **task_options(max_retries=0))
def purge_idempotency_keys_task(self) -> int:
    return idempotency_keys_purge()
