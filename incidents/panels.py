"""The incidents' panels on the domain dashboard (registered in
IncidentsConfig.ready()): the four DORA keys with their weekly trend, and open
incidents, open action items and draft proposals."""

from datetime import timedelta

from django.utils import timezone

from dashboard.board.charts import Chart, line_chart
from dashboard.board.panels import Panel
from dashboard.board.panels.common import TimeRange, iso
from dashboard.domains.models import Domain
from incidents import dora, selectors

MIN_SPAN = timedelta(days=30)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _keys(keys: dora.DoraKeys) -> dict:
    return {
        "start": iso(keys.start),
        "deployments": keys.deployments,
        "per_day": round(keys.deployments_per_day, 3),
        "frequency_band": keys.deployment_frequency_band,
        "lead_time_hours": _hours(keys.lead_time_seconds),
        "lead_time_band": keys.lead_time_band,
        "lead_time_commits": keys.lead_time_commits,
        "failure_pct": None
        if keys.change_failure_rate is None
        else round(keys.change_failure_rate * 100, 1),
        "failure_band": keys.change_failure_rate_band,
        "production_deployments": keys.production_deployments,
        "failed_deployments": keys.failed_deployments,
        "restore_hours": _hours(keys.time_to_restore_seconds),
        "restore_band": keys.time_to_restore_band,
        "restored_incidents": keys.restored_incidents,
        "mtta_minutes": None
        if keys.mean_time_to_acknowledge_seconds is None
        else round(keys.mean_time_to_acknowledge_seconds / 60, 1),
    }


def build_dora(domain_id: int, time_range: TimeRange) -> dict:
    """Over the dashboard's range, but at least 30 days (DORA keys over a day
    say little)."""
    end = timezone.now()
    start = end - max(time_range.span, MIN_SPAN)
    domain = Domain.objects.get(pk=domain_id)
    report = dora.dora_report(domain, start=start, end=end)
    return {
        "start": iso(start),
        "end": iso(end),
        "keys": _keys(report.keys),
        "weekly": [_keys(w) for w in report.weekly],
    }


def dora_charts(data: dict) -> list[Chart]:
    x = [w["start"] for w in data["weekly"]]

    def series(name: str, key: str) -> list[dict]:
        return [{"name": name, "x": x, "y": [w[key] for w in data["weekly"]]}]

    return [
        line_chart(
            key="dora-deployments",
            title="Production deployments per week",
            y_title="Deployments",
            unit="",
            series=series("Deployments", "deployments"),
            value_format=",.0f",
        ),
        line_chart(
            key="dora-lead-time",
            title="Median lead time for changes per week",
            y_title="Hours",
            unit=" h",
            series=series("Lead time", "lead_time_hours"),
        ),
        line_chart(
            key="dora-failure-rate",
            title="Change failure rate per week",
            y_title="Failed deployments (%)",
            unit="%",
            series=series("Change failure rate", "failure_pct"),
        ),
        line_chart(
            key="dora-restore",
            title="Median time to restore per week (SEV1–SEV3)",
            y_title="Hours",
            unit=" h",
            series=series("Time to restore", "restore_hours"),
        ),
    ]


def build_incidents(domain_id: int, time_range: TimeRange) -> dict:
    """Open incidents, open action items and draft proposals: current state,
    whatever the range."""
    from incidents.models import Incident, IncidentStatus

    open_incidents = (
        Incident.objects.filter(domain_id=domain_id)
        .exclude(status=IncidentStatus.RESOLVED)
        .order_by("severity", "-started_at")[:20]
    )
    return {
        "incidents": [
            {
                "pk": i.pk,
                "title": i.title,
                "severity": i.severity,
                "status": i.status,
                "started_at": iso(i.started_at),
            }
            for i in open_incidents
        ],
        "action_items": [
            {
                "title": a.title,
                "owner": a.owner,
                "due_on": a.due_on.isoformat() if a.due_on else "",
                "state": a.get_state_display(),
                "incident_pk": a.postmortem.incident_id,
                "incident_title": a.postmortem.incident.title,
            }
            for a in selectors.open_action_items(domain_id)[:50]
        ],
        "proposals": [
            {
                "title": p.title,
                "kind": p.get_kind_display(),
                "rationale": p.rationale,
                "incident_pk": p.incident_id,
                "incident_title": p.incident.title,
                "pin_proposal_pk": p.pin_proposal_id,
                "created_at": iso(p.created_at),
            }
            for p in selectors.draft_proposals(domain_id)[:50]
        ],
    }


DORA = Panel("dora", "DORA: the four keys", "panel.dora", build_dora, dora_charts)
INCIDENTS = Panel(
    "incidents",
    "Incidents, action items and proposals",
    "panel.incidents",
    build_incidents,
    lambda d: [],
)
