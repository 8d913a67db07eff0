"""Ingestion tasks: process a webhook delivery, parse a JUnit report, purge old
idempotency keys. Thin: ids in, one idempotent service call; a database blip
retries, bad data does not."""

from celery import shared_task
from django.db import DatabaseError, InterfaceError

from config.tasks import TransientError, task_options
from pipelines.ingest.models import TestReport, WebhookDelivery
from pipelines.ingest.services.idempotency import idempotency_keys_purge
from pipelines.ingest.services.junit import report_parse
from pipelines.ingest.services.webhooks import delivery_process


@shared_task(name=WebhookDelivery.outbox_task_name, **task_options())
def process_delivery_task(self, delivery_id: int) -> str:
    try:
        return delivery_process(delivery_id=delivery_id)
    except (InterfaceError, DatabaseError) as exc:
        raise TransientError(f"database: {exc}") from exc


@shared_task(name=TestReport.outbox_task_name, **task_options())
def parse_junit_task(self, report_id: int) -> str:
    try:
        return report_parse(report_id=report_id)
    except (InterfaceError, DatabaseError) as exc:
        raise TransientError(f"database: {exc}") from exc


@shared_task(name="pipelines.purge_idempotency_keys", **task_options(max_retries=0))
def purge_idempotency_keys_task(self) -> int:
    return idempotency_keys_purge()
