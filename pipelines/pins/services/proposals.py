"""Proposals: pull requests that change pins (read at their base and head
shas), and drafts from incident learnings."""

import hashlib
import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from config.tasks import PermanentError
from dashboard.domains.models import Domain, Repository
from pipelines.ingest.models import PullRequest
from pipelines.pins import review_rules
from pipelines.pins.logs import pin_fields
from pipelines.pins.models import (
    PinVersion,
    Proposal,
    ProposalEvent,
    ProposalPin,
    ProposalSource,
    ProposalState,
)
from pipelines.pins.services.reading import pins_read
from pipelines.pins.services.reviews import (
    approvals_dismiss,
    proposal_judge,
    required_approvals_of,
    review_status_post,
)
from pipelines.pins.services.versions import versions_record
from slos.models import Slo

logger = logging.getLogger(__name__)

READ_ACTIONS = ("opened", "synchronize", "reopened", "edited")


def slo_names_of(domain_id: int) -> set[str]:
    return set(
        Slo.objects.using("default")
        .filter(domain_id=domain_id)
        .values_list("name", flat=True)
    )


def changes_hash(after: dict[str, PinVersion | None]) -> str:
    text = "|".join(
        f"{pin_id}={version.content_hash if version else '-'}"
        for pin_id, version in sorted(after.items())
    )
    return hashlib.sha256(text.encode()).hexdigest() if after else ""


def proposal_pins_set(
    *,
    proposal: Proposal,
    before: dict[str, PinVersion],
    after: dict[str, PinVersion],
    only: set[str] | None = None,
) -> dict[str, PinVersion | None]:
    """Store the per-pin changes between `before` and `after` (restricted to
    `only` when given). Returns pin id → its new version (None: removed)."""
    slo_names = slo_names_of(proposal.domain_id)
    domain_required = required_approvals_of(proposal.domain_id)
    ids = sorted(set(before) | set(after))
    changed = {
        pin_id: after.get(pin_id)
        for pin_id in ids
        if (only is None or pin_id in only)
        and getattr(before.get(pin_id), "pk", None)
        != getattr(after.get(pin_id), "pk", None)
    }
    ProposalPin.objects.filter(proposal=proposal).exclude(pin_id__in=changed).delete()
    for pin_id, new in changed.items():
        old = before.get(pin_id)
        old_entry = old.entry if old else None
        new_entry = new.entry if new else None
        prompt_diff = ""
        if ((old and old.prompt_text) or "") != ((new and new.prompt_text) or ""):
            prompt_diff = review_rules.prompt_diff(
                old.prompt_text if old else "",
                new.prompt_text if new else "",
                path_before=old.prompt_path if old else "",
                path_after=new.prompt_path if new else "",
            )
        ProposalPin.objects.update_or_create(
            proposal=proposal,
            pin_id=pin_id,
            defaults={
                "change": "removed"
                if new is None
                else "added"
                if old is None
                else "changed",
                "before": old,
                "after": new,
                "fields": review_rules.field_changes(old_entry, new_entry),
                "prompt_diff": prompt_diff,
                "risks": review_rules.risk_notes(
                    before=old_entry,
                    after=new_entry,
                    prompt_before=old.prompt_text if old else None,
                    prompt_after=new.prompt_text if new else None,
                    slo_names=slo_names,
                ),
                "plan_problems": review_rules.plan_problems(
                    new_entry.get("rollout"), slo_names
                )
                if new_entry
                else [],
                "required_approvals": max(
                    domain_required, (new_entry or {}).get("approvals") or 0
                ),
                "owners": list((new_entry or old_entry or {}).get("owners") or []),
            },
        )
    return changed


def _proposal_for_pull(
    repository: Repository, number: int, head_ref: str
) -> Proposal | None:
    found = (
        Proposal.objects.select_for_update()
        .filter(repository=repository, number=number)
        .first()
    )
    if found is None and head_ref:
        # A change proposed here whose pull request we have not heard of yet.
        found = (
            Proposal.objects.select_for_update()
            .filter(
                repository=repository,
                head_ref=head_ref,
                number__isnull=True,
                source=ProposalSource.HERE,
            )
            .order_by("-id")
            .first()
        )
    return found


def pull_request_read(
    *,
    repository_id: int,
    number: int,
    head_sha: str,
    base_sha: str,
    head_ref: str = "",
    author: str = "",
    title: str = "",
    url: str = "",
) -> Proposal | None:
    """Read the pins at the pull request's base and head; record versions; make
    (or update) its proposal and post `controlplane/pin-review` on the head.
    A pull request that changes no pin gets `success` ("no pin changes")."""
    repository = (
        Repository.objects.select_related("domain").filter(pk=repository_id).first()
    )
    if repository is None:
        raise PermanentError(f"Repository {repository_id} does not exist.")
    current_head = (
        PullRequest.objects.using("default")
        .filter(repository=repository, number=number)
        .values_list("head_sha", "state")
        .first()
    )
    if current_head and current_head[0] and current_head[0] != head_sha:
        logger.info(
            "pull request moved on; reading its newer head instead",
            extra={
                "repository": repository.full_name,
                "number": number,
                "sha": head_sha,
            },
        )
        return None
    head = pins_read(repository, head_sha)
    base = pins_read(repository, base_sha)
    with transaction.atomic():
        # One read per repository at a time: two deliveries of one pull request
        # (opened, then synchronize) would otherwise both create its proposal.
        Repository.objects.select_for_update().filter(pk=repository.pk).first()
        proposal = _proposal_for_pull(repository, number, head_ref)
        file_error = ""
        after: dict[str, PinVersion] = {}
        before: dict[str, PinVersion] = {}
        if head.error:
            if head.file_sha == base.file_sha and proposal is None:
                file_error = ""  # broken before this pull request: not its change
            else:
                file_error = head.error
        else:
            after = versions_record(repository=repository, at=head)
        if not base.error:
            before = versions_record(repository=repository, at=base)
        touches = file_error or any(
            getattr(before.get(i), "pk", None) != getattr(after.get(i), "pk", None)
            for i in set(before) | set(after)
        )
        if proposal is None and not touches:
            review_status_post(
                repository=repository,
                sha=head_sha,
                state="success",
                description="no pin changes",
                details={},
            )
            return None
        if proposal is None:
            proposal = Proposal.objects.create(
                domain_id=repository.domain_id,
                repository=repository,
                source=ProposalSource.PULL_REQUEST,
                state=ProposalState.OPEN,
                title=title or f"Pull request #{number}",
                number=number,
            )
            ProposalEvent.objects.create(
                proposal=proposal, kind="opened", text=f"pull request #{number} opened"
            )
        proposal.number = number
        proposal.state = ProposalState.OPEN
        proposal.head_sha, proposal.base_sha = head_sha, base_sha
        proposal.head_ref = head_ref or proposal.head_ref
        proposal.author = author or proposal.author
        proposal.title = (title or proposal.title)[:500]
        proposal.url = url or proposal.url
        proposal.file_error = file_error
        if file_error:
            changed = {}
            ProposalPin.objects.filter(proposal=proposal).delete()
            content = hashlib.sha256(f"error:{head.file_sha}".encode()).hexdigest()
        else:
            changed = proposal_pins_set(proposal=proposal, before=before, after=after)
            content = changes_hash(changed)
        if proposal.content_hash and content != proposal.content_hash:
            approvals_dismiss(proposal=proposal, content_hash=content)
        proposal.content_hash = content
        if len(changed) == 1:
            proposal.pin_id = next(iter(changed))
        proposal.save()
        logger.info(
            "pin proposal read",
            extra={
                "repository": repository.full_name,
                "number": number,
                "sha": head_sha,
                **pin_fields(sorted(changed.items())),
            },
        )
        return proposal_judge(proposal=proposal)


@transaction.atomic
def pull_request_closed(
    *, repository_id: int, number: int, merged: bool
) -> Proposal | None:
    """A merged pull request's proposal is merged (its rollout starts when the
    default branch's push is read); one closed unmerged closes the proposal."""
    proposal = (
        Proposal.objects.select_for_update()
        .filter(repository_id=repository_id, number=number)
        .first()
    )
    if proposal is None or proposal.state in (
        ProposalState.MERGED,
        ProposalState.CLOSED,
    ):
        return proposal
    proposal.state = ProposalState.MERGED if merged else ProposalState.CLOSED
    proposal.save(update_fields=["state", "updated_at"])
    ProposalEvent.objects.create(
        proposal=proposal,
        kind=proposal.state,
        text=f"pull request #{number} {'merged' if merged else 'closed without merging'}",
    )
    return proposal


@transaction.atomic
def proposal_draft_create(
    *,
    domain: Domain,
    title: str,
    rationale: str,
    kind: str,
    source_url: str,
    pin_id: str | None = None,
    created_by: AbstractBaseUser | None = None,
) -> Proposal:
    """A draft proposal (for example from an incident learning): no pull
    request yet; it lists with the domain's proposals and links its source.
    `kind` is the draft's source ("incident", or "here")."""
    source = (
        ProposalSource(kind).value
        if kind in ProposalSource.values
        else ProposalSource.INCIDENT
    )
    proposal = Proposal.objects.create(
        domain=domain,
        source=source,
        state=ProposalState.DRAFT,
        title=title[:500] or "Untitled proposal",
        rationale=rationale,
        source_url=source_url[:500],
        pin_id=(pin_id or "")[:100],
        proposer=created_by
        if created_by is not None and created_by.is_authenticated
        else None,
        review_reason="draft: no pull request yet",
    )
    ProposalEvent.objects.create(
        proposal=proposal,
        kind="drafted",
        text=f"drafted from {source_url}"[:500] if source_url else "drafted",
    )
    return proposal
