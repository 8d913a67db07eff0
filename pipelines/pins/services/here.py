"""Changes proposed here: a reviewer or engineer edits a pin on its page; the
control plane opens (or updates) one pull request for that content."""

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from config.tasks import PermanentError, enqueue_on_commit
from dashboard.domains.services import audit_record
from pipelines.github import repos
from pipelines.pins.logs import pin_fields, pin_log_context
from pipelines.pins.models import (
    Pin,
    Proposal,
    ProposalEvent,
    ProposalSource,
    ProposalState,
)
from pipelines.pins.services.proposals import changes_hash, proposal_pins_set
from pipelines.pins.services.reading import Prompt, pins_file_with
from pipelines.pins.services.reviews import proposal_judge
from pipelines.pins.services.versions import pin_version_get_or_create
from pipelines.pins.spec import (
    PinsFileError,
    content_hash,
    git_blob_sha,
    spec_of,
)

logger = logging.getLogger(__name__)

OPEN_TASK = "pipelines.pins_proposal_open"
LABEL = "controlplane:pins"
BRANCH_PREFIX = "controlplane/pins/"


class ProposalInvalid(ValueError):
    """The proposed pin is not valid; `errors` say what to fix."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@transaction.atomic
def proposal_here_create(
    *,
    pin: Pin,
    changes: dict[str, Any],
    prompt_text: str | None,
    title: str,
    rationale: str,
    proposer: AbstractBaseUser,
) -> Proposal:
    """Propose a new content for `pin` (changes: model, params, rollout; the
    prompt's new text). The same content proposed again is the same proposal
    and the same pull request (its branch is named by the content)."""
    current = pin.current
    entry = {**current.entry, **{k: v for k, v in changes.items() if v is not None}}
    for key in ("params", "rollout"):
        if changes.get(key) == {}:
            entry.pop(key, None)
    try:
        spec = spec_of(entry)
    except PinsFileError as exc:
        raise ProposalInvalid(exc.errors) from exc
    text = (
        current.prompt_text
        if prompt_text is None
        else prompt_text.replace("\r\n", "\n")
    )
    if "\x00" in text:
        raise ProposalInvalid(["The prompt text holds a NUL character."])
    prompt = (
        Prompt(spec.prompt, git_blob_sha(text.encode()), text) if spec.prompt else None
    )
    digest = content_hash(spec, prompt.blob_sha if prompt else "")
    if digest == current.content_hash:
        raise ProposalInvalid(["Nothing changes: this is the pin's current content."])
    repository = pin.repository
    version = pin_version_get_or_create(
        repository=repository, spec=spec, prompt=prompt, sha=""
    )
    branch = f"{BRANCH_PREFIX}{pin.pin_id}-{digest[:8]}"
    proposal = (
        Proposal.objects.select_for_update()
        .filter(
            repository=repository,
            head_ref=branch,
            source=ProposalSource.HERE,
            state=ProposalState.OPEN,
        )
        .first()
    )
    if proposal is None:
        proposal = Proposal.objects.create(
            domain_id=pin.domain_id,
            repository=repository,
            source=ProposalSource.HERE,
            state=ProposalState.OPEN,
            title=title[:500] or f"Change pin {pin.pin_id}",
            rationale=rationale,
            pin_id=pin.pin_id,
            proposer=proposer,
            head_ref=branch,
        )
        ProposalEvent.objects.create(
            proposal=proposal,
            kind="proposed",
            text=f"proposed by {proposer.get_username()}",
        )
    else:
        proposal.title = title[:500] or proposal.title
        proposal.rationale = rationale or proposal.rationale
        ProposalEvent.objects.create(
            proposal=proposal,
            kind="proposed",
            text=f"proposed again by {proposer.get_username()}",
        )
    proposal.draft = {
        "pin_id": pin.pin_id,
        "entry": spec.as_json(),
        "prompt_path": spec.prompt,
        "prompt_text": text if spec.prompt else "",
        "version": version.content_hash,
    }
    changed = proposal_pins_set(
        proposal=proposal, before={pin.pin_id: current}, after={pin.pin_id: version}
    )
    proposal.content_hash = changes_hash(changed)
    proposal.save()
    audit_record(
        actor=proposer,
        action="pins.proposal.create",
        domain=pin.domain,
        obj=proposal,
        after={"pin_id": pin.pin_id, "version": version.short, "branch": branch},
    )
    proposal_judge(proposal=proposal, post=False)
    enqueue_on_commit(OPEN_TASK, proposal.pk, domain_id=pin.domain_id)
    logger.info(
        "pin change proposed",
        extra={
            **pin_fields([(pin.pin_id, version)]),
            "proposal": proposal.pk,
        },
    )
    return proposal


def pull_body(proposal: Proposal) -> str:
    """The pull request's description: rationale, diffs, risk notes, plan."""
    lines = [proposal.rationale.strip() or "Proposed in the control plane.", ""]
    for pin in proposal.pins.all():
        lines.append(f"### Pin `{pin.pin_id}` ({pin.change})")
        for change in pin.fields:
            lines.append(
                f"- **{change['field']}**: `{change['before']}` → `{change['after']}`"
            )
        if pin.prompt_diff:
            lines += ["", "```diff", pin.prompt_diff[:20000], "```"]
        lines.append("")
        lines.append("**Risk notes:** " + ("; ".join(pin.risks) or "none"))
        rollout = (pin.after.entry.get("rollout") if pin.after else None) or {}
        plan = (
            f"stages {rollout.get('stages')}, hold {rollout.get('hold')}, guard "
            f"{rollout.get('guard_slo')} (max burn {rollout.get('max_burn')})"
            if rollout
            else "none"
        )
        lines.append(f"**Rollout plan:** {plan}")
        if pin.plan_problems:
            lines.append("**Plan problems:** " + "; ".join(pin.plan_problems))
        lines.append("")
    lines.append(
        "Review it in the control plane; the required status `controlplane/pin-review` "
        "turns green when the rules are met."
    )
    return "\n".join(lines)[:60000]


def proposal_pull_open(*, proposal_id: int) -> Proposal:
    """Commit the proposed content on its branch (one commit on the default
    branch's head) and open its pull request, or update the open one."""
    proposal = (
        Proposal.objects.select_related("repository", "domain")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or proposal.state != ProposalState.OPEN or not proposal.draft:
        return proposal
    with pin_log_context(proposal.draft["pin_id"], proposal.draft["version"]):
        return _pull_open(proposal)


def _pull_open(proposal: Proposal) -> Proposal:
    repository = proposal.repository
    full_name = repository.full_name
    base_sha = repos.branch_sha(full_name, repository.default_branch)
    if base_sha is None:
        raise PermanentError(
            f"{full_name} has no branch {repository.default_branch!r}."
        )
    draft = proposal.draft
    files = pins_file_with(
        repository=repository,
        sha=base_sha,
        entry=draft["entry"],
        prompt_text=draft["prompt_text"],
    )
    existing = repos.pull_find(full_name, head_branch=proposal.head_ref)
    title = proposal.title
    body = pull_body(proposal)
    message = f"{title}\n\nPin {draft['pin_id']} → {draft['version'][:12]}"
    if existing is not None and existing.state == "open":
        head_sha = repos.branch_sha(full_name, proposal.head_ref) or ""
        if not head_sha:
            head_sha = repos.commit_files(
                full_name,
                branch=proposal.head_ref,
                base_sha=base_sha,
                files=files,
                message=message,
                force=True,
            )
        pull = repos.pull_update(full_name, existing.number, title=title, body=body)
        event = f"pull request #{pull.number} updated"
    else:
        head_sha = repos.commit_files(
            full_name,
            branch=proposal.head_ref,
            base_sha=base_sha,
            files=files,
            message=message,
            force=True,
        )
        pull = repos.pull_open(
            full_name,
            head_branch=proposal.head_ref,
            base=repository.default_branch,
            title=title,
            body=body,
            labels=[LABEL],
        )
        event = f"pull request #{pull.number} opened"
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        # The webhook of this pull request may have made its own proposal first.
        Proposal.objects.filter(repository=repository, number=pull.number).exclude(
            pk=proposal.pk
        ).delete()
        proposal.number, proposal.url = pull.number, pull.url
        proposal.head_sha = pull.head_sha or head_sha
        proposal.base_sha = base_sha
        proposal.open_error = ""
        proposal.save()
        ProposalEvent.objects.create(proposal=proposal, kind="pull_request", text=event)
        proposal_judge(proposal=proposal)
    logger.info(
        "pin proposal pull request",
        extra={
            **pin_fields([(draft["pin_id"], draft["version"])]),
            "repository": full_name,
            "number": pull.number,
        },
    )
    return proposal
