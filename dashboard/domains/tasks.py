"""Periodic tasks of domains and roles: rolling permission-denial counts up."""

from celery import shared_task

from config.tasks import task_options
from dashboard.domains.services import permission_denials_roll_up


@shared_task(name="dashboard.roll_up_permission_denials", **task_options(max_retries=0))
def roll_up_permission_denials_task(self) -> int:
    return permission_denials_roll_up()
