"""Periodic plumbing tasks: the outbox sweeper."""

from celery import shared_task

from config.tasks import task_options
from dashboard.platform.services import outbox_sweep


@shared_task(name="dashboard.sweep_outbox", **task_options(max_retries=0))
def sweep_outbox_task(self) -> int:
    return outbox_sweep()
