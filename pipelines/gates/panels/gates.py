"""Gates: the latest verdict of each gate for the head of each repository's
default branch and for each open pull request."""

from django.db.models import OuterRef, QuerySet, Subquery

from dashboard.board.panels.common import TimeRange, iso
from dashboard.domains.models import Repository
from dashboard.platform.compiled import compiled_once
from pipelines.gates.models import GateContext, GateVerdict
from pipelines.ingest.models import PullRequest, Run

OPEN_PULL_REQUESTS = 10


def build(domain_id: int, time_range: TimeRange) -> dict:
    repositories = _heads(domain_id=domain_id)
    pulls = _open_pulls(domain_id=domain_id)
    targets = [
        {
            "kind": "branch",
            "label": f"{full_name} · {default_branch}",
            "repository_id": repository_id,
            "sha": head_sha or "",
            "url": "",
        }
        for repository_id, full_name, default_branch, head_sha in repositories
    ] + [
        {
            "kind": "pull",
            "label": f"{full_name} #{number} {title}"[:200],
            "repository_id": repository_id,
            "sha": head_sha,
            "url": url,
        }
        for repository_id, full_name, number, title, head_sha, url in pulls
    ]
    wanted = {(t["repository_id"], t["sha"]) for t in targets if t["sha"]}
    # (repository, sha, context) -> (state, description, changed_at): plain
    # tuples, not model instances (every gate of every head and pull request).
    verdicts: dict[tuple[int, str, str], tuple] = {}
    if wanted:
        for repository_id, sha, context, *verdict in GateVerdict.objects.filter(
            domain_id=domain_id,
            repository_id__in={r for r, _ in wanted},
            sha__in={s for _, s in wanted},
        ).values_list(
            "repository_id", "sha", "context", "state", "description", "changed_at"
        ):
            verdicts[(repository_id, sha, context)] = verdict
    contexts = list(GateContext)
    rows = []
    for target in targets:
        cells = []
        for context in contexts:
            v = verdicts.get((target["repository_id"], target["sha"], context.value))
            cells.append(
                {
                    "gate": context.label,
                    "state": v[0] if v else "none",
                    "reason": v[1] if v else "No verdict yet",
                    "at": iso(v[2]) if v else "",
                }
            )
        rows.append({**target, "sha": target["sha"][:7], "cells": cells})
    return {"gates": [c.label for c in contexts], "rows": rows}


@compiled_once
def _heads(domain_id: int) -> QuerySet:
    """The domain's repositories with the head of each default branch (the
    latest run's commit there)."""
    head = (
        Run.objects.filter(
            repository_id=OuterRef("pk"), branch=OuterRef("default_branch")
        )
        .order_by("-started_at", "-id")
        .values("head_sha")[:1]
    )
    return (
        Repository.objects.filter(domain_id=domain_id)
        .annotate(head_sha=Subquery(head))
        .values_list("id", "full_name", "default_branch", "head_sha")
    )


@compiled_once
def _open_pulls(domain_id: int) -> QuerySet:
    return (
        PullRequest.objects.filter(domain_id=domain_id, state="open")
        .order_by("-number")
        .values_list(
            "repository_id",
            "repository__full_name",
            "number",
            "title",
            "head_sha",
            "url",
        )[:OPEN_PULL_REQUESTS]
    )
