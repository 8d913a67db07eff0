"""What the pins hear from ingestion (pipelines.ingest.signals, connected in
pipelines/apps.py): pull requests to read, pushes to the default branch."""

from config.tasks import enqueue_on_commit
from dashboard.domains.models import Repository
from pipelines.pins.services.proposals import READ_ACTIONS

PULL_READ_TASK = "pipelines.pins_pull_request_read"
PULL_CLOSED_TASK = "pipelines.pins_pull_request_closed"
DEFAULT_READ_TASK = "pipelines.pins_default_branch_read"
ZERO_SHA = "0" * 40


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
    elif action in READ_ACTIONS and state == "open" and head_sha and base_sha:
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
    enqueue_on_commit(
        DEFAULT_READ_TASK, repository_id, after, domain_id=repository.domain_id
    )
