"""Drift tasks: introspect targets (the beat's and on demand), check a target,
prove its migration, sync its pull request, post its commit status."""

from celery import shared_task

from config.tasks import TransientError, task_options
from pipelines.drift.services import checks, documents, proofs, pulls, status

# A rate limit can ask for up to an hour; stay under the broker's visibility timeout.
MAX_COUNTDOWN_SECONDS = 1800


def _github_retry(task, exc: TransientError):
    if exc.retry_after:
        raise task.retry(exc=exc, countdown=min(exc.retry_after, MAX_COUNTDOWN_SECONDS))
    raise exc


@shared_task(name="pipelines.drift_introspect_all", **task_options(max_retries=0))
def drift_introspect_all_task(self) -> int:
    return documents.schema_targets_introspect_enqueue()


@shared_task(name=documents.INTROSPECT_TASK, **task_options(max_retries=5))
def drift_introspect_task(self, target_id: int, domain_id: int | None = None) -> None:
    documents.schema_target_introspect(target_id=target_id)


@shared_task(name=documents.CHECK_TASK, **task_options())
def drift_check_task(self, target_id: int, domain_id: int | None = None) -> None:
    checks.drift_check(target_id=target_id)


@shared_task(name=checks.PROVE_TASK, **task_options(max_retries=3))
def drift_prove_task(
    self, target_id: int, fingerprint: str, domain_id: int | None = None
) -> None:
    proofs.drift_prove(target_id=target_id, fingerprint=fingerprint)


@shared_task(name=checks.PULL_SYNC_TASK, **task_options(max_retries=8))
def drift_pull_sync_task(self, target_id: int, domain_id: int | None = None) -> None:
    try:
        pulls.drift_pull_sync(target_id=target_id)
    except TransientError as exc:
        _github_retry(self, exc)


@shared_task(name=checks.STATUS_TASK, **task_options(max_retries=8))
def drift_status_post_task(self, target_id: int, domain_id: int | None = None) -> None:
    try:
        status.drift_status_post(target_id=target_id)
    except TransientError as exc:
        _github_retry(self, exc)
