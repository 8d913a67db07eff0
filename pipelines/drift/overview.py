"""The drift column on the overview (registered in PipelinesConfig.ready()):
schema targets whose live schema differs from the generated entity graph."""

from datetime import datetime

from django.urls import reverse

from dashboard.board.overview import ATTENTION, FINE, WATCH, Cell, OverviewColumn
from dashboard.domains.models import Domain
from pipelines.drift.models import SchemaDrift


def drift_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    """One query for every domain."""
    slugs = {d.pk: d.slug for d in domains}
    drifting: dict[int, list[SchemaDrift]] = {}
    for drift in SchemaDrift.objects.filter(domain_id__in=slugs).only(
        "domain_id", "fingerprint", "destructive", "proof_state"
    ):
        drifting.setdefault(drift.domain_id, []).append(drift)
    cells = {}
    for domain_id, slug in slugs.items():
        href = reverse("drift:targets", args=[slug])
        drifts = drifting.get(domain_id)
        if not drifts:
            continue  # no schema target: nothing to say
        moved = [d for d in drifts if d.fingerprint]
        if not moved:
            cells[domain_id] = Cell("in step", href=href, level=FINE)
            continue
        destructive = sum(d.destructive > 0 for d in moved)
        failed = sum(d.proof_state == "failed" for d in moved)
        note = ", ".join(
            part
            for part in (
                f"{destructive} destructive" if destructive else "",
                f"{failed} proof failed" if failed else "",
            )
            if part
        )
        cells[domain_id] = Cell(
            f"{len(moved)} of {len(drifts)} drifting",
            href=href,
            level=ATTENTION if destructive or failed else WATCH,
            note=note,
        )
    return cells


DRIFT = OverviewColumn(
    "drift",
    "Schema drift",
    drift_cells,
    help="Schema targets whose live schema differs from the latest entity graph.",
)
