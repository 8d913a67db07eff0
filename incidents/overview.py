"""The incidents' columns on the overview (registered in IncidentsConfig.ready()):
open incidents per domain, the worst severity first; and the four DORA keys
with their bands, read from the stored summaries (DoraSummary)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.urls import reverse

from dashboard.board.overview import ATTENTION, FINE, WATCH, Cell, OverviewColumn
from dashboard.domains.models import Domain
from dashboard.templatetags.glance import human_duration
from incidents.models import DoraSummary, Incident, IncidentStatus

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


# --- DORA -----------------------------------------------------------------------------
BAND_LEVEL = {"elite": FINE, "high": FINE, "medium": WATCH, "low": ATTENTION}


def deployment_frequency_text(summary: DoraSummary) -> str:
    per_day = summary.deployments_per_day
    if per_day is None:
        return "no deployments"
    if per_day >= 1:
        return f"{per_day:.1f}/day"
    if per_day * 7 >= 1:
        return f"{per_day * 7:.1f}/week"
    days = (summary.computed_at - summary.window_start).days
    return f"{summary.deployments} in {days} days"


def _key(name: str, value: str | None, band: str) -> str:
    return f"{name} {value} ({band})" if value is not None and band else f"{name} —"


def dora_note(summary: DoraSummary) -> str:
    """The four keys with their bands, on one line."""
    rate = summary.change_failure_rate
    return " · ".join(
        [
            _key(
                "deploys",
                None
                if summary.deployments_per_day is None
                else deployment_frequency_text(summary),
                summary.deployment_frequency_band,
            ),
            _key(
                "lead time",
                None
                if summary.lead_time_seconds is None
                else human_duration(summary.lead_time_seconds),
                summary.lead_time_band,
            ),
            _key(
                "failures",
                None if rate is None else f"{round(rate * 100)} %",
                summary.change_failure_rate_band,
            ),
            _key(
                "restore",
                None
                if summary.time_to_restore_seconds is None
                else human_duration(summary.time_to_restore_seconds),
                summary.time_to_restore_band,
            ),
        ]
    )


def dora_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    """One query for every domain: the stored summaries (refreshed by the beat
    every DORA_SUMMARY_SECONDS), each cell saying when it was computed."""
    slugs = {d.pk: d.slug for d in domains}
    summaries = {
        s.domain_id: s for s in DoraSummary.objects.filter(domain_id__in=slugs)
    }
    every = settings.DORA_SUMMARY_SECONDS
    stale_before = now - timedelta(seconds=3 * every)
    cells = {}
    for domain_id, slug in slugs.items():
        href = reverse("dash:dashboard", args=[slug]) + "?range=30d#panel-dora"
        summary = summaries.get(domain_id)
        if summary is None:
            cells[domain_id] = Cell(
                "not computed yet",
                href=href,
                level=None,
                note=f"computed every {human_duration(every)}",
            )
            continue
        frequency = deployment_frequency_text(summary)
        band = summary.overall_band
        note = dora_note(summary)
        if summary.computed_at < stale_before:
            note += f" · stale (computed every {human_duration(every)})"
        cells[domain_id] = Cell(
            f"{band} · {frequency}" if band else frequency,
            href=href,
            level=BAND_LEVEL.get(band),
            note=note,
            as_of=summary.computed_at,
        )
    return cells


DORA = OverviewColumn(
    "dora",
    "DORA (30 days)",
    dora_cells,
    help="The worst band of the four DORA keys over the last 30 days, and the "
    "deployment frequency; the keys are in the second line (docs/dora.md).",
)
