"""Reads: a rollout's latency and errors split by pin version (stable, the
version it started from; candidate, the one it rolls out) since it started.

Latency comes from the performance samples tagged with the pin, errors from
the SLI points tagged with it (POST /api/v1/perf and /api/v1/sli with
`pin_id`/`pin_version`). One window for everything: (rollout start, as_of],
as_of being when it finished or now. Three queries whatever the number of
samples and points."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from django.utils import timezone

from pipelines.ingest.models import PerfSample
from pipelines.pins.logs import version_tags
from pipelines.pins.models import PinVersion, Rollout
from slos.selectors import pin_tagged_buckets, pin_tagged_counts

ROLES = ("stable", "candidate")
# The newest samples a split reads (a rollout runs hours to days; CI measures a
# few scenarios per commit): beyond it the table says it read only these.
MAX_SAMPLES = 5_000
MINUTE_BUCKETS_UP_TO = timedelta(hours=3)


@dataclass(frozen=True)
class LatencyCell:
    samples: int  # performance samples (rows)
    requests: int  # Σ sample_count: the requests they measured
    p50_ms: float | None  # the median of the samples' p50
    p95_ms: float | None  # the median of the samples' p95


@dataclass(frozen=True)
class LatencyRow:
    service: str
    scenario: str
    cells: dict[str, LatencyCell]  # by role


@dataclass(frozen=True)
class ErrorCell:
    points: int
    good: int
    total: int

    @property
    def bad(self) -> int:
        return self.total - self.good

    @property
    def error_rate(self) -> float | None:
        return self.bad / self.total if self.total else None

    @property
    def error_pct(self) -> float | None:
        return None if self.error_rate is None else 100 * self.error_rate


@dataclass(frozen=True)
class ErrorRow:
    slo_id: int
    slo_name: str
    guard: bool
    cells: dict[str, ErrorCell]  # by role


@dataclass
class PinSplit:
    rollout: Rollout
    since: datetime
    as_of: datetime
    versions: dict[str, PinVersion]
    latency: list[LatencyRow] = field(default_factory=list)
    errors: list[ErrorRow] = field(default_factory=list)
    # For the charts: each sample's p95 over time, and one SLO's error rate per hour.
    p95_points: list[tuple[str, str, datetime, float]] = field(default_factory=list)
    error_buckets: list[tuple[datetime, str, int, int]] = field(default_factory=list)
    error_chart_slo: str = ""
    bucket: str = "hour"  # of error_buckets: "5 minutes" or "hour"
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.latency and not self.errors


EMPTY_LATENCY = LatencyCell(0, 0, None, None)
EMPTY_ERRORS = ErrorCell(0, 0, 0)


def rollout_split(rollout: Rollout, *, now: datetime | None = None) -> PinSplit:
    """The split of `rollout` (select_related pin, from_version, to_version)."""
    since = rollout.created_at
    as_of = rollout.finished_at or now or timezone.now()
    versions = {"stable": rollout.from_version, "candidate": rollout.to_version}
    role_of = {tag: role for role, v in versions.items() for tag in version_tags(v)}
    tags = list(role_of)
    pin = rollout.pin
    split = PinSplit(rollout=rollout, since=since, as_of=as_of, versions=versions)

    # 1. Latency: the newest samples of the window, tagged with either version.
    rows = list(
        PerfSample.objects.filter(
            repository_id=pin.repository_id,
            pin_id=pin.pin_id,
            pin_version__in=tags,
            created_at__gt=since,
            created_at__lte=as_of,
        )
        .order_by("-created_at", "-id")
        .values_list(
            "service",
            "scenario",
            "pin_version",
            "created_at",
            "p50_ms",
            "p95_ms",
            "sample_count",
        )[: MAX_SAMPLES + 1]
    )
    split.truncated = len(rows) > MAX_SAMPLES
    rows = rows[:MAX_SAMPLES]
    grouped: dict[tuple[str, str], dict[str, list[tuple]]] = {}
    for service, scenario, tag, created_at, p50, p95, count in reversed(rows):
        role = role_of[tag]
        grouped.setdefault((service, scenario), {}).setdefault(role, []).append(
            (p50, p95, count)
        )
        split.p95_points.append((scenario, role, created_at, p95))
    for (service, scenario), by_role in sorted(grouped.items()):
        cells = {}
        for role in ROLES:
            found = by_role.get(role, [])
            cells[role] = (
                LatencyCell(
                    samples=len(found),
                    requests=sum(c for _, _, c in found),
                    p50_ms=median(p for p, _, _ in found),
                    p95_ms=median(p for _, p, _ in found),
                )
                if found
                else EMPTY_LATENCY
            )
        split.latency.append(LatencyRow(service, scenario, cells))

    # 2. Errors: per SLO and version, summed in the database.
    by_slo: dict[int, ErrorRow] = {}
    for counted in pin_tagged_counts(
        domain_id=rollout.domain_id,
        pin_id=pin.pin_id,
        versions=tags,
        since=since,
        until=as_of,
    ):
        row = by_slo.setdefault(
            counted.slo_id,
            ErrorRow(
                counted.slo_id,
                counted.slo_name,
                counted.slo_name == rollout.guard_slo,
                {role: EMPTY_ERRORS for role in ROLES},
            ),
        )
        role = role_of[counted.pin_version]
        before = row.cells[role]
        # A version may arrive under both tags (short and whole hash): add them.
        row.cells[role] = ErrorCell(
            before.points + counted.points,
            before.good + counted.good,
            before.total + counted.total,
        )
    split.errors = sorted(by_slo.values(), key=lambda r: (not r.guard, r.slo_name))

    # 3. One SLO's errors over time for the chart: the guard's, else the
    # first; per 5 minutes for a rollout of up to three hours (at most 180
    # minute rows per version, folded here), else per hour.
    if split.errors:
        charted = split.errors[0]
        split.error_chart_slo = charted.slo_name
        short = as_of - since <= MINUTE_BUCKETS_UP_TO
        split.bucket = "5 minutes" if short else "hour"
        hours: dict[tuple[datetime, str], list[int]] = {}
        for start, tag, good, total in pin_tagged_buckets(
            slo_id=charted.slo_id,
            pin_id=pin.pin_id,
            versions=tags,
            since=since,
            until=as_of,
            bucket="minute" if short else "hour",
        ):
            if short:
                start = start.replace(minute=start.minute - start.minute % 5)
            sums = hours.setdefault((start, role_of[tag]), [0, 0])
            sums[0] += int(good)
            sums[1] += int(total)
        split.error_buckets = [
            (hour, role, good, total)
            for (hour, role), (good, total) in sorted(hours.items())
        ]
    return split


def latest_rollout_of(pin_pk: int) -> Rollout | None:
    """The pin's running rollout, else its latest one."""
    rollouts = Rollout.objects.filter(pin_id=pin_pk).select_related(
        "pin__repository", "from_version", "to_version"
    )
    return (
        rollouts.filter(state="running").order_by("-created_at", "-id").first()
        or rollouts.order_by("-created_at", "-id").first()
    )
