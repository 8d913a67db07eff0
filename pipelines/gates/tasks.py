"""Gate tasks: evaluate a commit's gates; post one verdict to GitHub."""

from celery import shared_task

from config.tasks import TransientError, task_options
from pipelines.gates.services import gates

# A rate limit can ask for up to an hour; stay under the broker's visibility
# timeout (CELERY_VISIBILITY_TIMEOUT) so the delayed message is not redelivered.
MAX_COUNTDOWN_SECONDS = 1800


@shared_task(name=gates.EVALUATE_TASK, **task_options())
def gates_evaluate_task(
    self, repository_id: int, sha: str, domain_id: int | None = None
) -> None:
    gates.gates_evaluate(repository_id=repository_id, sha=sha)


@shared_task(name=gates.POST_STATUS_TASK, **task_options(max_retries=8))
def gate_status_post_task(self, verdict_id: int, domain_id: int | None = None) -> None:
    try:
        gates.gate_status_post(verdict_id=verdict_id)
    except TransientError as exc:
        if exc.retry_after:
            # GitHub said when to come back: wait that long, not the backoff.
            raise self.retry(
                exc=exc, countdown=min(exc.retry_after, MAX_COUNTDOWN_SECONDS)
            )
        raise
