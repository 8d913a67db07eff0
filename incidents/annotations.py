"""Incidents on the domain's time charts (registered in IncidentsConfig.ready()
with dashboard.board.annotations): each one a span from when it started to when
it was resolved (to the range's end while it is open), coloured by severity,
with a marker that opens the incident."""

from datetime import datetime

from django.db.models import Q, QuerySet

from dashboard.board.annotations import MARKS_PER_SOURCE, AnnotationSource
from dashboard.board.panels.common import TimeRange, iso, window, window_end
from dashboard.platform.compiled import compiled_once
from incidents.models import Incident, IncidentStatus

# Okabe–Ito: vermillion for what needs attention now, orange, then grey.
SEVERITY_COLOURS = {
    "SEV1": "#D55E00",
    "SEV2": "#D55E00",
    "SEV3": "#E69F00",
}
QUIET = "#8C8C8C"


def incident_marks(domain_id: int, time_range: TimeRange) -> list[dict]:
    """The incidents that were open at some time in the range (newest 30), in
    one query."""
    incidents = _open_between(
        domain_id=domain_id, since=window(time_range), until=window_end(time_range)
    )
    return [
        {
            "t": iso(started_at),
            "end": iso(resolved_at) if resolved_at else "",
            "label": (
                f"{severity} incident: {title[:80]} "
                f"({IncidentStatus(status).label.lower()})"
            ),
            "link": f"incidents/{pk}/",
            "colour": SEVERITY_COLOURS.get(severity, QUIET),
        }
        for pk, title, severity, status, started_at, resolved_at in incidents
    ]


@compiled_once
def _open_between(domain_id: int, since: datetime, until: datetime) -> QuerySet:
    return (
        Incident.objects.filter(domain_id=domain_id, started_at__lt=until)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .order_by("-started_at", "-id")
        .values_list("id", "title", "severity", "status", "started_at", "resolved_at")[
            :MARKS_PER_SOURCE
        ]
    )


INCIDENTS = AnnotationSource(
    key="incidents",
    name="Incidents",
    marks=incident_marks,
    symbol="diamond",
    colour=QUIET,
)
