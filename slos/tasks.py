"""SLO tasks: evaluate every SLO's alerts (beat, each minute)."""

from celery import shared_task
from django.utils import timezone

from config.tasks import task_options
from slos.services import slos_evaluate


@shared_task(name="slos.evaluate", **task_options(max_retries=0))
def evaluate_slos_task(self) -> int:
    return slos_evaluate(at=timezone.now())
