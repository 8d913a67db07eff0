"""Periodic plumbing tasks: the outbox sweeper."""

from celery import shared_task

from config.tasks import task_options
from dashboard.services import outbox_sweep


@shared_task(name="dashboard.sweep_outbox", **task_options(max_retries=0))
def sweep_outbox_task(self) -> int:
    return outbox_sweep()


# The dashboard's own tasks (rollup refresh, CSV exports) register on import.
from dashboard import exports, rollups, warming  # noqa: E402, F401
