"""What the pins hear from ingestion (pipelines.ingest.signals, connected in
pipelines/apps.py): pull requests to read, pushes to the default branch."""

import logging

from django.conf import settings

from config.tasks import enqueue_on_commit
from dashboard.domains.models import Repository
from pipelines.pins.services.proposals import READ_ACTIONS

PULL_READ_TASK = "pipelines.pins_pull_request_read"
PULL_CLOSED_TASK = "pipelines.pins_pull_request_closed"
DEFAULT_READ_TASK = "pipelines.pins_default_branch_read"
ZERO_SHA = "0" * 40
logger = logging.getLogger(__name__)


def _github_configured(what: str, repository_id: int) -> bool:
    """Without GITHUB_TOKEN nothing can be read: say so once per event rather
    than fill the dead letters with reads that cannot work."""
    if settings.GITHUB_TOKEN:
        return True
    logger.info(
        "pins not read: GITHUB_TOKEN is not set",
        extra={"github_event": what, "repository_id": repository_id},
    )
    return False


def pull_request_received(
    sender: object,
    *,
    repository_id: int,
    number: int,
    action: str,
    state: str,
    merged: bool,
    head_sha: str,
    base_sha: str,
    head_ref: str = "",
    author: str = "",
    title: str = "",
    url: str = "",
    **_: object,
) -> None:
    domain_id = (
        Repository.objects.filter(pk=repository_id)
        .values_list("domain_id", flat=True)
        .first()
    )
    if action == "closed":
        enqueue_on_commit(
            PULL_CLOSED_TASK, repository_id, number, merged, domain_id=domain_id
        )
    elif (
        action in READ_ACTIONS
        and state == "open"
        and head_sha
        and base_sha
        and _github_configured("pull_request", repository_id)
    ):
        enqueue_on_commit(
            PULL_READ_TASK,
            repository_id,
            number,
            head_sha,
            base_sha,
            head_ref=head_ref,
            author=author,
            title=title,
            url=url,
            domain_id=domain_id,
        )


def push_received(
    sender: object, *, repository_id: int, ref: str, after: str, **_: object
) -> None:
    repository = Repository.objects.filter(pk=repository_id).first()
    if repository is None or not after or after == ZERO_SHA:
        return
    if ref != f"refs/heads/{repository.default_branch}":
        return
    if not _github_configured("push", repository_id):
        return
    enqueue_on_commit(
        DEFAULT_READ_TASK, repository_id, after, domain_id=repository.domain_id
    )
