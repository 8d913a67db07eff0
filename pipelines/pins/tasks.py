"""Pins tasks: ids and plain values in, one service call each."""

from celery import shared_task

from config.tasks import PermanentError, TransientError, task_options
from pipelines.pins.logs import task_pin_bind
from pipelines.pins.models import Proposal
from pipelines.pins.services import events, here, proposals, rollouts, versions

CHECK_ROLLOUTS_TASK = "pipelines.pins_rollouts_check"
MAX_COUNTDOWN_SECONDS = 1800


def _retry_later(task, exc: TransientError) -> None:
    """GitHub said when to come back (a rate limit): wait that long."""
    if exc.retry_after:
        raise task.retry(exc=exc, countdown=min(exc.retry_after, MAX_COUNTDOWN_SECONDS))


@shared_task(name=events.PULL_READ_TASK, **task_options())
def pins_pull_request_read_task(
    self,
    repository_id: int,
    number: int,
    head_sha: str,
    base_sha: str,
    head_ref: str = "",
    author: str = "",
    title: str = "",
    url: str = "",
    domain_id: int | None = None,
) -> None:
    try:
        proposals.pull_request_read(
            repository_id=repository_id,
            number=number,
            head_sha=head_sha,
            base_sha=base_sha,
            head_ref=head_ref,
            author=author,
            title=title,
            url=url,
        )
    except TransientError as exc:
        _retry_later(self, exc)
        raise


@shared_task(name=events.PULL_CLOSED_TASK, **task_options())
def pins_pull_request_closed_task(
    self, repository_id: int, number: int, merged: bool, domain_id: int | None = None
) -> None:
    proposals.pull_request_closed(
        repository_id=repository_id, number=number, merged=merged
    )


@shared_task(name=events.DEFAULT_READ_TASK, **task_options())
def pins_default_branch_read_task(
    self, repository_id: int, sha: str, domain_id: int | None = None
) -> None:
    try:
        versions.default_branch_read(repository_id=repository_id, sha=sha)
    except TransientError as exc:
        _retry_later(self, exc)
        raise


@shared_task(name=here.OPEN_TASK, **task_options())
def pins_proposal_open_task(
    self, proposal_id: int, domain_id: int | None = None
) -> None:
    task_pin_bind(proposal_id=proposal_id)
    try:
        here.proposal_pull_open(proposal_id=proposal_id)
    except TransientError as exc:
        _retry_later(self, exc)
        raise
    except PermanentError as exc:
        Proposal.objects.filter(pk=proposal_id).update(open_error=str(exc)[:2000])
        raise


@shared_task(name=rollouts.REVERT_TASK, **task_options())
def pins_revert_open_task(self, rollout_id: int, domain_id: int | None = None) -> None:
    task_pin_bind(rollout_id=rollout_id)
    try:
        rollouts.revert_pull_open(rollout_id=rollout_id)
    except TransientError as exc:
        _retry_later(self, exc)
        raise
    except PermanentError as exc:
        rollouts.Rollout.objects.filter(pk=rollout_id).update(
            revert_error=str(exc)[:2000]
        )
        raise


@shared_task(name=CHECK_ROLLOUTS_TASK, **task_options(max_retries=0))
def pins_rollouts_check_task(self) -> None:
    rollouts.rollouts_check_all()
