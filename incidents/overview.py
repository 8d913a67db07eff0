"""The incidents' column on the overview (registered in IncidentsConfig.ready()):
open incidents per domain, the worst severity first."""

from datetime import datetime

from django.db.models import Count, Min
from django.urls import reverse

from dashboard.board.overview import ATTENTION, FINE, WATCH, Cell, OverviewColumn
from dashboard.domains.models import Domain
from incidents.models import Incident, IncidentStatus

# SEV1 and SEV2 open: the domain needs attention now.
URGENT = ("SEV1", "SEV2")


def open_incident_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    """One query for every domain."""
    slugs = {d.pk: d.slug for d in domains}
    rows = (
        Incident.objects.filter(domain_id__in=slugs, started_at__lte=now)
        .exclude(status=IncidentStatus.RESOLVED)
        .values("domain_id")
        .annotate(n=Count("id"), worst=Min("severity"))
    )
    found = {r["domain_id"]: r for r in rows}
    cells = {}
    for domain_id, slug in slugs.items():
        href = reverse("incidents:incident-list", args=[slug])
        row = found.get(domain_id)
        if row is None:
            cells[domain_id] = Cell("none open", href=href, level=FINE)
            continue
        n = row["n"]
        cells[domain_id] = Cell(
            f"{n} open",
            href=href,
            level=ATTENTION if row["worst"] in URGENT else WATCH,
            note=f"worst {row['worst']}",
        )
    return cells


INCIDENTS = OverviewColumn(
    "incidents",
    "Open incidents",
    open_incident_cells,
    weight=3,
    help="Incidents not resolved yet; SEV1 or SEV2 open ranks the domain first.",
)
