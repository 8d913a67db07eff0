"""Incidents on the domain's time charts (registered in IncidentsConfig.ready()
with dashboard.board.annotations): each one a span from when it started to when
it was resolved (to the range's end while it is open), coloured by severity,
with a marker that opens the incident."""

from django.db.models import Q

from dashboard.board.annotations import MARKS_PER_SOURCE, AnnotationSource
from dashboard.board.panels.common import TimeRange, iso, window, window_end
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
    since, until = window(time_range), window_end(time_range)
    incidents = (
        Incident.objects.filter(domain_id=domain_id, started_at__lt=until)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
        .only("id", "title", "severity", "status", "started_at", "resolved_at")
        .order_by("-started_at", "-id")[:MARKS_PER_SOURCE]
    )
    return [
        {
            "t": iso(i.started_at),
            "end": iso(i.resolved_at) if i.resolved_at else "",
            "label": (
                f"{i.severity} incident: {i.title[:80]} "
                f"({IncidentStatus(i.status).label.lower()})"
            ),
            "link": f"incidents/{i.pk}/",
            "colour": SEVERITY_COLOURS.get(i.severity, QUIET),
        }
        for i in incidents
    ]


INCIDENTS = AnnotationSource(
    key="incidents",
    name="Incidents",
    marks=incident_marks,
    symbol="diamond",
    colour=QUIET,
)
