"""The gates' column on the overview (registered in PipelinesConfig.ready()):
repositories whose default-branch head has a failing gate, for every domain in
one query."""

from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.urls import reverse

from dashboard.board.overview import ATTENTION, FINE, Cell, OverviewColumn
from dashboard.domains.models import Domain, Repository
from pipelines.gates.models import GateVerdict
from pipelines.ingest.models import Run


def failing_gate_cells(domains: list[Domain], now: datetime) -> dict[int, Cell]:
    head = (
        Run.objects.filter(
            repository_id=OuterRef("pk"), branch=OuterRef("default_branch")
        )
        .order_by("-started_at", "-id")
        .values("head_sha")[:1]
    )
    failing = GateVerdict.objects.filter(
        repository_id=OuterRef("pk"), sha=OuterRef("head_sha"), state="failure"
    )
    rows = (
        Repository.objects.filter(domain_id__in=[d.pk for d in domains])
        .annotate(head_sha=Subquery(head))
        .annotate(head_failing=Exists(failing))
        .values("domain_id")
        .annotate(
            repositories=Count("id"),
            judged=Count("id", filter=Q(head_sha__isnull=False)),
            failing=Count("id", filter=Q(head_failing=True)),
        )
        .order_by()
    )
    slugs = {d.pk: d.slug for d in domains}
    cells = {}
    for row in rows:
        href = reverse("dash:dashboard", args=[slugs[row["domain_id"]]])
        href += "#panel-gates"
        if not row["judged"]:
            cells[row["domain_id"]] = Cell(
                "no runs on default branches", href=href, level=None
            )
            continue
        n = row["failing"]
        cells[row["domain_id"]] = Cell(
            f"{n} failing" if n else "all passing",
            href=href,
            level=ATTENTION if n else FINE,
            note=f"of {row['judged']} default branch{'es' if row['judged'] != 1 else ''}",
        )
    return cells


FAILING_GATES = OverviewColumn(
    "failing-gates",
    "Gates on default branches",
    failing_gate_cells,
    weight=3,
    help="Repositories whose default-branch head has a failing gate.",
)
