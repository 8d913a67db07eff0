"""Pages for schema drift: a domain's targets, and one target's drift (the
schemas side by side, the changes, the SQL, the proofs, the pull request).
Thin: restrict, one call, render."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.tasks import enqueue_on_commit
from dashboard.domains import policy
from dashboard.domains.access import domain_view, may
from dashboard.domains.models import Domain
from pipelines.drift import selectors
from pipelines.drift.diff import change_summary
from pipelines.drift.schema import default_label
from pipelines.drift.services.documents import INTROSPECT_TASK


@domain_view(policy.Action.BROWSE)
def drift_targets(request: HttpRequest, domain: Domain) -> HttpResponse:
    targets = selectors.targets_of(domain).select_related("drift")
    return render(request, "drift/targets.html", {"domain": domain, "targets": targets})


def _side_by_side(
    live: dict | None, graph: dict | None, changes: list[dict]
) -> list[dict]:
    """One row per table: its columns live and in the graph, and whether the
    drift changes it."""
    changed = {c["table"] for c in changes}
    live_tables = {e["name"]: e for e in (live or {}).get("entities", [])}
    graph_tables = {e["name"]: e for e in (graph or {}).get("entities", [])}

    def columns(entity: dict | None) -> list[str]:
        if entity is None:
            return []
        return [
            f"{f['name']} {f['type']}"
            + ("" if f["nullable"] else " NOT NULL")
            + (" PK" if f["primary_key"] else "")
            + (" UNIQUE" if f["unique"] else "")
            + (f" DEFAULT {default_label(f['default'])}" if f["default"] else "")
            for f in entity["fields"]
        ]

    return [
        {
            "name": name,
            "live": columns(live_tables.get(name)),
            "graph": columns(graph_tables.get(name)),
            "same": name not in changed,
        }
        for name in sorted(set(live_tables) | set(graph_tables))
    ]


@domain_view(policy.Action.BROWSE)
def drift_target(request: HttpRequest, domain: Domain, name: str) -> HttpResponse:
    target = selectors.targets_of(domain).filter(name=name).first()
    if target is None:
        raise Http404("No such schema target.")
    drift = selectors.drift_of(domain, name)
    proofs = list(selectors.proofs_of(target)[:5])
    context = {
        "domain": domain,
        "target": target,
        "drift": drift,
        "changes": [
            {**c, "summary": change_summary(c)}
            for c in (drift.changes if drift else [])
        ],
        "tables": _side_by_side(
            drift.live.schema if drift and drift.live else None,
            drift.graph.schema if drift and drift.graph else None,
            drift.changes if drift else [],
        ),
        "proofs": proofs,
        "pull": selectors.pull_of(target),
        "can_check": may(request, policy.Action.TRIGGER_SCANS),
    }
    return render(request, "drift/target.html", context)


@domain_view(policy.Action.TRIGGER_SCANS)
@require_POST
def drift_introspect(request: HttpRequest, domain: Domain, name: str) -> HttpResponse:
    """Introspect the target now (on demand), in a worker."""
    target = selectors.targets_of(domain).filter(name=name).first()
    if target is None:
        raise Http404("No such schema target.")
    if target.dsn_env:
        enqueue_on_commit(INTROSPECT_TASK, target.pk, domain_id=domain.pk)
        messages.success(
            request, f"Reading {target.name}'s live schema; refresh shortly."
        )
    else:
        messages.error(
            request, f"{target.name} has no DSN variable: post snapshots instead."
        )
    return redirect("drift:target", slug=domain.slug, name=target.name)
