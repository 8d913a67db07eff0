"""The control plane's own SLOs, present without configuration: request latency
(share of requests answered under 500 ms), availability (share of non-5xx
answers) and permission denials (share of authenticated requests not denied).

`OwnSliMiddleware` (slos/middleware.py) counts every request per minute in
Redis; the beat task `slos.flush_own` moves each finished minute into SLI
points of the three SLOs of the domain `control-plane`, creating the domain and
the SLOs on its first run. From there they are SLOs like any other: evaluated,
alerted, on the SLO pages and the API (docs/slos.md, "The control plane's own
SLOs")."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from dashboard.domains.models import Domain
from dashboard.domains.services import domain_create
from dashboard.platform.minute_counts import MinuteCounts
from slos.models import SliPoint, Slo
from slos.services import SliCounts, sli_points_record

DOMAIN_SLUG = "control-plane"
FAST_SECONDS = 0.5
COUNTS = MinuteCounts("own-sli")


@dataclass(frozen=True)
class OwnSlo:
    name: str
    display_name: str
    description: str
    objective: float
    good: str  # the counter of good events
    total: str  # the counter of all events


OWN_SLOS = (
    OwnSlo(
        "control-plane-latency",
        "Requests answered under 500 ms",
        "Share of HTTP requests to the control plane answered in under 500 ms, "
        "timed by middleware from the first to the last middleware.",
        0.99,
        "fast",
        "requests",
    ),
    OwnSlo(
        "control-plane-availability",
        "Requests answered without a server error",
        "Share of HTTP requests answered with a status below 500.",
        0.999,
        "ok",
        "requests",
    ),
    OwnSlo(
        "control-plane-permission-denials",
        "Authenticated requests not denied",
        "Share of requests by a signed-in person or a valid token that were not "
        "refused by a permission check (a rise means broken links, a role "
        "change gone wrong, or someone probing).",
        0.99,
        "allowed",
        "authenticated",
    ),
)


def request_count(
    *, at: datetime, seconds: float, status: int, authenticated: bool, denied: bool
) -> None:
    """Count one request in its minute (the middleware's only work)."""
    fields = {"requests": 1}
    if seconds < FAST_SECONDS:
        fields["fast"] = 1
    if status < 500:
        fields["ok"] = 1
    if authenticated:
        fields["authenticated"] = 1
        if not denied:
            fields["allowed"] = 1
    COUNTS.incr(at.replace(second=0, microsecond=0), fields)


@transaction.atomic
def own_slos_ensure() -> dict[str, Slo]:
    """The domain `control-plane` and its three SLOs (idempotent)."""
    domain = Domain.objects.filter(slug=DOMAIN_SLUG).first()
    if domain is None:
        domain = domain_create(
            slug=DOMAIN_SLUG,
            name="Control plane",
            description="The control plane's own SLOs (latency, availability, "
            "permission denials), kept without configuration.",
        ).obj
    found = {}
    for own in OWN_SLOS:
        found[own.name], _ = Slo.objects.get_or_create(
            domain=domain,
            name=own.name,
            defaults={
                "display_name": own.display_name,
                "description": own.description,
                "service": "control-plane",
                "objective": own.objective,
                "window_seconds": 30 * 86400,
                "indicator": {
                    "kind": "ratio",
                    "good": f"own-sli:{own.good}",
                    "total": f"own-sli:{own.total}",
                },
                "source_format": "built-in",
            },
        )
    return found


def own_slis_flush(*, before: datetime | None = None) -> int:
    """Move each finished minute's counts into SLI points (ts = the end of the
    minute), added to what a point of that minute holds already (late requests
    of a minute arrive as a second hash); returns the minutes moved."""
    before = before or timezone.now().replace(second=0, microsecond=0)
    minutes = 0
    slos = None
    for minute, raw in COUNTS.drain(before=before):
        counts = {field.decode(): n for field, n in raw.items()}
        slos = slos or own_slos_ensure()
        ts = minute + timedelta(minutes=1)
        with transaction.atomic():
            for own in OWN_SLOS:
                slo = slos[own.name]
                total = counts.get(own.total, 0)
                if not total:
                    continue
                earlier = SliPoint.objects.filter(
                    slo=slo, ts=ts, pin_id="", pin_version=""
                ).first()
                sli_points_record(
                    slo=slo,
                    points=[
                        SliCounts(
                            ts=ts,
                            good=counts.get(own.good, 0)
                            + (earlier.good if earlier else 0),
                            total=total + (earlier.total if earlier else 0),
                        )
                    ],
                )
        minutes += 1
    return minutes
