"""The pins' column on the overview (registered in PipelinesConfig.ready()):
proposals waiting for review per domain."""

from datetime import datetime

from django.db.models import Count, Q
from django.urls import reverse

from dashboard.board.overview import FINE, WATCH, Cell, OverviewColumn
from dashboard.domains.models import Domain
from pipelines.pins.models import Proposal, ProposalState


def pending_review_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    """One query for every domain: open proposals not yet approved, and how
    many of them have changes requested."""
    slugs = {d.pk: d.slug for d in domains}
    rows = (
        Proposal.objects.filter(domain_id__in=slugs, state=ProposalState.OPEN)
        .exclude(review_state="success")
        .values("domain_id")
        .annotate(n=Count("id"), blocked=Count("id", filter=Q(review_state="failure")))
    )
    found = {r["domain_id"]: r for r in rows}
    cells = {}
    for domain_id, slug in slugs.items():
        href = reverse("pins:proposals", args=[slug])
        row = found.get(domain_id)
        if row is None:
            cells[domain_id] = Cell("none waiting", href=href, level=FINE)
            continue
        n, blocked = row["n"], row["blocked"]
        cells[domain_id] = Cell(
            f"{n} waiting",
            href=href,
            level=WATCH,
            note=f"{blocked} with changes requested"
            if blocked
            else "awaiting approval",
        )
    return cells


PENDING_REVIEWS = OverviewColumn(
    "pin-reviews",
    "Pin reviews",
    pending_review_cells,
    help="Open pin proposals without the approvals they need.",
)
