"""Schema drift on the domain dashboard: per target, the last check, changes by
risk, the proof and the pull request (registered in PipelinesConfig.ready())."""

from dashboard.board.panels import Panel
from dashboard.board.panels.common import TimeRange, iso
from pipelines.drift.models import DriftPullRequest, SchemaDrift, SchemaTarget


def build(domain_id: int, time_range: TimeRange) -> dict:
    targets = list(
        SchemaTarget.objects.filter(domain_id=domain_id)
        .order_by("name")
        .values("id", "name", "schema_name", "introspected_at", "introspect_error")
    )
    drifts = {
        d.target_id: d
        for d in SchemaDrift.objects.filter(domain_id=domain_id).only(
            "target_id",
            "fingerprint",
            "additive",
            "tightening",
            "destructive",
            "checked_at",
            "proof_state",
        )
    }
    pulls: dict[int, DriftPullRequest] = {}
    for pull in (
        DriftPullRequest.objects.filter(domain_id=domain_id)
        .order_by("target_id", "-created_at", "-id")
        .only("target_id", "number", "url", "state")
    ):
        pulls.setdefault(pull.target_id, pull)
    rows = []
    for target in targets:
        drift = drifts.get(target["id"])
        pull = pulls.get(target["id"])
        rows.append(
            {
                "name": target["name"],
                "schema": target["schema_name"],
                "checked_at": iso(drift.checked_at) if drift else "",
                "drift": bool(drift and drift.fingerprint),
                "fingerprint": drift.fingerprint[:8] if drift else "",
                "additive": drift.additive if drift else 0,
                "tightening": drift.tightening if drift else 0,
                "destructive": drift.destructive if drift else 0,
                "proof": drift.proof_state if drift else "",
                "pull_number": pull.number if pull else None,
                "pull_url": pull.url if pull else "",
                "pull_state": pull.state if pull else "",
                "error": target["introspect_error"][:200],
            }
        )
    return {"rows": rows}


DRIFT = Panel("drift", "Schema drift", "panel.drift", build, lambda d: [])
