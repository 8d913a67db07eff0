"""The facts the DORA keys are computed from, kept as ingestion reports them
(receivers of pipelines.ingest.signals, connected in IncidentsConfig.ready()):
when each deployment first succeeded or failed, and each pushed commit's time."""

from datetime import datetime

from django.db import transaction

from dashboard.domains.models import Repository
from dashboard.platform.cleaning import text_clean
from incidents.models import CommitSeen, DeploymentOutcome, ProductionEnvironments
from incidents.services.dora_summaries import dora_summary_refresh_request
from pipelines.ingest.models import Deployment, Push

FAILED_STATES = ("failure", "error")


@transaction.atomic
def deployment_outcome_record(
    *, deployment: Deployment, state: str, at: datetime
) -> DeploymentOutcome:
    """Keep the earliest success and the earliest failure of a deployment,
    whatever order its statuses arrive in (a replay changes nothing)."""
    outcome, _ = DeploymentOutcome.objects.select_for_update().get_or_create(
        deployment=deployment, defaults={"domain_id": deployment.domain_id}
    )
    name = (
        "succeeded_at"
        if state == "success"
        else "failed_at"
        if state in FAILED_STATES
        else None
    )
    if name is not None:
        current = getattr(outcome, name)
        if current is None or at < current:
            setattr(outcome, name, at)
            outcome.save(update_fields=[name])
    return outcome


def deployment_status_received(
    sender: object,
    *,
    deployment: Deployment,
    state: str,
    status_id: int,
    created_at: datetime,
    **_: object,
) -> None:
    """Receiver of pipelines.ingest.signals.deployment_status_seen."""
    deployment_outcome_record(deployment=deployment, state=state, at=created_at)
    dora_summary_refresh_request(domain_id=deployment.domain_id)


@transaction.atomic
def commits_record(
    *, repository: Repository, ref: str, pushed_at: datetime, commits: list[dict]
) -> int:
    """Each commit once per repository, with its own time and the earliest push
    that carried it; how many the push named."""
    rows = [
        CommitSeen(
            repository=repository,
            sha=text_clean(c["sha"])[:64],
            committed_at=c.get("timestamp") or pushed_at,
            pushed_at=pushed_at,
            ref=text_clean(ref)[:255],
        )
        for c in commits
        if c.get("sha")
    ]
    CommitSeen.objects.bulk_create(rows, ignore_conflicts=True)
    # A commit already seen on a later push (deliveries out of order) keeps
    # the earliest push that carried it.
    CommitSeen.objects.filter(
        repository=repository,
        sha__in=[row.sha for row in rows],
        pushed_at__gt=pushed_at,
    ).update(pushed_at=pushed_at, ref=text_clean(ref)[:255])
    return len(rows)


def push_received(sender: object, *, push: Push, commits: list[dict], **_) -> None:
    """Receiver of pipelines.ingest.signals.push_received."""
    if push.deleted:
        return
    commits_record(
        repository=push.repository,
        ref=push.ref,
        pushed_at=push.pushed_at,
        commits=commits,
    )


@transaction.atomic
def production_environments_set(
    *, repository: Repository, names: list[str]
) -> ProductionEnvironments:
    """The environments of `repository` that count as production for DORA."""
    cleaned = sorted({text_clean(n).strip()[:255] for n in names if n.strip()})
    row, _ = ProductionEnvironments.objects.update_or_create(
        repository=repository, defaults={"names": cleaned}
    )
    return row
