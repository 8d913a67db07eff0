"""SLO tasks: evaluate every SLO's alerts and flush the control plane's own
SLI counts (beat, each minute); post an alert transition to the domain's
webhook."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.tasks import task_options
from slos import notify
from slos.own import own_slis_flush
from slos.services import sli_points_prune, slos_evaluate


@shared_task(name="slos.evaluate", **task_options(max_retries=0))
def evaluate_slos_task(self) -> int:
    return slos_evaluate(at=timezone.now())


@shared_task(name="slos.prune", **task_options(max_retries=0))
def prune_task(self) -> int:
    retention = timedelta(days=settings.SLI_RETENTION_DAYS)
    return sli_points_prune(before=timezone.now() - retention)


@shared_task(name="slos.flush_own", **task_options(max_retries=0))
def flush_own_task(self) -> int:
    return own_slis_flush()


@shared_task(name=notify.POST_ALERT_TASK, **task_options(max_retries=8))
def post_alert_task(
    self, alert_id: int, change: str, domain_id: int | None = None
) -> bool:
    return notify.alert_post(alert_id=alert_id, change=change)
