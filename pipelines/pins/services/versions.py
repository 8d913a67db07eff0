"""Immutable pin versions, and the current pins: what the default branch holds."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.tasks import PermanentError
from dashboard.board.panels import annotations_changed
from dashboard.domains.models import Repository
from pipelines.pins.logs import pin_fields
from pipelines.pins.models import Pin, PinVersion, Proposal, ProposalPin, ProposalState
from pipelines.pins.services import rollouts
from pipelines.pins.services.reading import PinsAt, Prompt, pins_read
from pipelines.pins.spec import PinSpec, content_hash

logger = logging.getLogger(__name__)


def pin_version_get_or_create(
    *, repository: Repository, spec: PinSpec, prompt: Prompt | None, sha: str
) -> PinVersion:
    """The version of this content (created the first time it is seen)."""
    digest = content_hash(spec, prompt.blob_sha if prompt else "")
    found = PinVersion.objects.filter(
        repository=repository, pin_id=spec.id, content_hash=digest
    ).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return PinVersion.objects.create(
                repository=repository,
                pin_id=spec.id,
                content_hash=digest,
                kind=spec.kind,
                model=spec.model,
                prompt_path=spec.prompt,
                prompt_blob_sha=prompt.blob_sha if prompt else "",
                prompt_text=prompt.text if prompt else "",
                entry=spec.as_json(),
                first_seen_sha=sha,
            )
    except IntegrityError:  # another worker recorded it first: same content
        return PinVersion.objects.get(
            repository=repository, pin_id=spec.id, content_hash=digest
        )


def versions_record(*, repository: Repository, at: PinsAt) -> dict[str, PinVersion]:
    """A version per pin of `at` (which must have no error)."""
    return {
        pin_id: pin_version_get_or_create(
            repository=repository, spec=spec, prompt=at.prompt_of(spec), sha=at.sha
        )
        for pin_id, spec in at.pins.items()
    }


def _merged_proposal(repository: Repository, version: PinVersion) -> Proposal | None:
    link = (
        ProposalPin.objects.filter(
            proposal__repository=repository,
            pin_id=version.pin_id,
            after=version,
            proposal__state__in=(ProposalState.OPEN, ProposalState.MERGED),
        )
        .select_related("proposal")
        .order_by("-proposal__updated_at")
        .first()
    )
    return link.proposal if link else None


@transaction.atomic
def pins_current_apply(
    *, repository: Repository, sha: str, versions: dict[str, PinVersion]
) -> list[str]:
    """Make `versions` the repository's current pins (default branch at `sha`).
    A pin whose version changed starts a rollout (rollouts.rollout_start).
    Returns the ids of the pins that changed."""
    Repository.objects.select_for_update().filter(pk=repository.pk).first()
    now = timezone.now()
    existing = {p.pin_id: p for p in Pin.objects.filter(repository=repository)}
    changed = []
    for pin_id, version in versions.items():
        pin = existing.get(pin_id)
        if pin is None:
            # A new pin has nothing to roll out from: it serves at once.
            Pin.objects.create(
                domain_id=repository.domain_id,
                repository=repository,
                pin_id=pin_id,
                current=version,
                stable=version,
                default_sha=sha,
                changed_at=now,
            )
            changed.append(pin_id)
            continue
        if pin.current_id == version.pk and not pin.removed:
            if pin.default_sha != sha:
                Pin.objects.filter(pk=pin.pk).update(default_sha=sha)
            continue
        changed.append(pin_id)
        pin.current, pin.default_sha, pin.removed, pin.changed_at = (
            version,
            sha,
            False,
            now,
        )
        pin.save(update_fields=["current", "default_sha", "removed", "changed_at"])
        rollouts.rollout_start(
            pin=pin, version=version, proposal=_merged_proposal(repository, version)
        )
    for pin_id, pin in existing.items():
        if pin_id not in versions and not pin.removed:
            rollouts.rollouts_supersede(pin=pin, reason="pin removed from the file")
            Pin.objects.filter(pk=pin.pk).update(
                removed=True, candidate=None, traffic_pct=0, changed_at=now
            )
            changed.append(pin_id)
    if changed:
        annotations_changed(repository.domain_id)  # pin moves on the charts
    for pin_id in changed:
        logger.info(
            "pin changed on the default branch",
            extra={
                "repository": repository.full_name,
                "sha": sha,
                **pin_fields([(pin_id, versions.get(pin_id))]),
            },
        )
    return changed


def default_branch_read(*, repository_id: int, sha: str) -> list[str]:
    """Read the default branch's pins at `sha` and make them current. An
    invalid file leaves the current pins as they are (logged, not retried)."""
    repository = Repository.objects.filter(pk=repository_id).first()
    if repository is None:
        raise PermanentError(f"Repository {repository_id} does not exist.")
    at = pins_read(repository, sha)
    if at.error:
        logger.warning(
            "pins file on the default branch is invalid; current pins kept",
            extra={"repository": repository.full_name, "sha": sha, "error": at.error},
        )
        return []
    if not at.found and not Pin.objects.filter(repository=repository).exists():
        return []
    with transaction.atomic():
        versions = versions_record(repository=repository, at=at)
        return pins_current_apply(repository=repository, sha=sha, versions=versions)
