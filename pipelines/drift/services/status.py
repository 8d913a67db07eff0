"""The commit status `controlplane/schema-drift` on the commit that emitted the
entity graph: success when the live schema matches it, failure with a summary
and a link to the pull request (or to the drift page) when it does not."""

import logging

from django.conf import settings
from django.urls import reverse

from config.tasks import PermanentError, TransientError
from pipelines.drift.models import (
    DriftPullRequest,
    ProofState,
    PullState,
    SchemaDrift,
)
from pipelines.github import client as github

logger = logging.getLogger(__name__)

CONTEXT = "controlplane/schema-drift"
NOT_CONFIGURED = "not posted: GITHUB_TOKEN is not set"


def drift_page_url(drift: SchemaDrift) -> str:
    path = reverse(
        "drift:target", kwargs={"slug": drift.domain.slug, "name": drift.target.name}
    )
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def drift_summary(drift: SchemaDrift) -> str:
    n = len(drift.changes)
    parts = [
        f"{count} {risk}"
        for risk, count in (
            ("destructive", drift.destructive),
            ("tightening", drift.tightening),
            ("additive", drift.additive),
        )
        if count
    ]
    return f"{n} change{'s' if n != 1 else ''} ({', '.join(parts)})"


def drift_status(drift: SchemaDrift) -> tuple[str, str, str]:
    """(state, description, target_url) for the graph's commit."""
    page = drift_page_url(drift)
    if not drift.fingerprint:
        return (
            "success",
            f"live schema of {drift.target.name} matches the entity graph",
            page,
        )
    summary = f"{drift.target.name}: {drift_summary(drift)}"
    if drift.proof_state == ProofState.FAILED:
        proof = drift.target.proofs.filter(fingerprint=drift.fingerprint).first()
        step = proof.failed_step if proof else "?"
        return "failure", f"{summary}; migration proof failed at {step!r}", page
    pull = (
        DriftPullRequest.objects.filter(target=drift.target, state=PullState.OPEN)
        .exclude(number=None)
        .first()
    )
    if pull is not None and pull.fingerprint == drift.fingerprint:
        return "failure", f"{summary}; migration PR #{pull.number}", pull.url or page
    if drift.proof_state in (ProofState.RUNNING, ProofState.NONE):
        return "failure", f"{summary}; proving the migration", page
    return "failure", summary, page


def drift_status_post(*, target_id: int) -> bool:
    """Post the status if GitHub has not got this one; False when it has.
    Not atomic: a failed attempt's error stays recorded."""
    drift = (
        SchemaDrift.objects.using("default")
        .select_related("target", "domain", "graph__repository")
        .filter(target_id=target_id)
        .first()
    )
    if drift is None or drift.graph is None or drift.graph.repository is None:
        return False
    graph = drift.graph
    state, description, url = drift_status(drift)
    key = f"{graph.commit_sha}:{state}:{description}"[:200]
    if drift.status_posted == key:
        return False
    if not settings.GITHUB_TOKEN:
        SchemaDrift.objects.filter(pk=drift.pk).update(status_error=NOT_CONFIGURED)
        return False
    try:
        github.commit_status_create(
            graph.repository.full_name,
            graph.commit_sha,
            state=state,
            context=CONTEXT,
            description=description,
            target_url=url,
        )
    except (TransientError, PermanentError) as exc:
        SchemaDrift.objects.filter(pk=drift.pk).update(status_error=str(exc)[:2000])
        raise
    SchemaDrift.objects.filter(pk=drift.pk).update(status_posted=key, status_error="")
    return True
