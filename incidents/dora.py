"""The four DORA keys of a domain (or one of its services) over a range, as
docs/dora.md defines them: deployment frequency, lead time for changes, change
failure rate (on deployments), time to restore (and MTTA).

`dora_facts` reads what the database knows into plain facts; `dora_keys`
computes the keys from those facts alone (so a test can feed it by hand)."""

import re
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q

from dashboard.domains.models import Domain, Repository, Service
from incidents.models import (
    CommitSeen,
    DeploymentOutcome,
    Incident,
    ProductionEnvironments,
    Severity,
)
from pipelines.ingest.models import Run

DAY = 86400.0
HOUR = 3600.0
# How far before `from` deployments are read: enough to know the previous
# deployment (lead time) and what an early deployment rolled back to.
HISTORY = timedelta(days=90)
RESTORE_SEVERITIES = (Severity.SEV1, Severity.SEV2, Severity.SEV3)
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")


# --- Bands ---------------------------------------------------------------------------
def frequency_band(per_day: float) -> str:
    """elite: on demand (a deployment a day or more); high: daily to weekly;
    medium: weekly to monthly; low: less than monthly."""
    if per_day >= 1:
        return "elite"
    if per_day >= 1 / 7:
        return "high"
    if per_day >= 1 / 30:
        return "medium"
    return "low"


def lead_time_band(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < HOUR:
        return "elite"
    if seconds <= 7 * DAY:
        return "high"
    if seconds <= 183 * DAY:
        return "medium"
    return "low"


def failure_rate_band(rate: float | None) -> str | None:
    if rate is None:
        return None
    if rate <= 0.15:
        return "elite"
    if rate <= 0.30:
        return "high"
    if rate <= 0.45:
        return "medium"
    return "low"


def restore_band(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < HOUR:
        return "elite"
    if seconds < DAY:
        return "high"
    if seconds < 7 * DAY:
        return "medium"
    return "low"


# --- Facts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DeploymentFact:
    id: int
    target: str  # repository id and environment: one line of deployments
    sha: str
    ref: str
    created_at: datetime
    succeeded_at: datetime | None
    failed_at: datetime | None
    named_by_incident: bool
    repository_id: int = 0


@dataclass(frozen=True)
class CommitFact:
    repository_id: int
    sha: str
    committed_at: datetime
    pushed_at: datetime
    ref: str


@dataclass(frozen=True)
class IncidentFact:
    severity: str
    started_at: datetime
    detected_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass
class Facts:
    deployments: list[DeploymentFact] = field(default_factory=list)
    commits: list[CommitFact] = field(default_factory=list)
    incidents: list[IncidentFact] = field(default_factory=list)
    # The earliest CI run of a sha (its time when no push named the commit).
    run_times: dict[tuple[int, str], datetime] = field(default_factory=dict)


class UnknownService(ValueError):
    pass


def _production_names(repositories: list[Repository]) -> dict[int, set[str]]:
    default = {n.lower() for n in settings.DORA_PRODUCTION_ENVIRONMENTS}
    names = {r.pk: default for r in repositories}
    for row in ProductionEnvironments.objects.filter(
        repository__in=[r.pk for r in repositories]
    ):
        names[row.repository_id] = {n.lower() for n in row.names}
    return names


def dora_facts(
    domain: Domain, *, start: datetime, end: datetime, service: str | None = None
) -> Facts:
    """The facts of `domain` (or of one service: a service slug, whose
    repositories are those linked to it, else those named like it; or a
    repository OWNER/NAME)."""
    repositories = list(Repository.objects.filter(domain=domain))
    incidents = Incident.objects.filter(
        domain=domain, started_at__gte=start, started_at__lt=end
    )
    if service:
        if "/" in service:
            repositories = [
                r for r in repositories if r.full_name.lower() == service.lower()
            ]
            if not repositories:
                raise UnknownService(
                    f"No repository {service[:140]!r} in domain {domain.slug}."
                )
            incidents = incidents.filter(
                Q(repository=repositories[0])
                | Q(deployment__repository=repositories[0])
                | Q(service_label__iexact=service)
            )
        else:
            found = Service.objects.filter(domain=domain, slug__iexact=service).first()
            if found is None:
                raise UnknownService(
                    f"No service {service[:50]!r} in domain {domain.slug}; give a "
                    "service slug or a repository OWNER/NAME."
                )
            linked = set(found.repositories.values_list("pk", flat=True))
            if linked:
                # Linked repositories (python manage.py link_service): theirs
                # are the service's deployments, and incidents naming them.
                repositories = [r for r in repositories if r.pk in linked]
                incidents = incidents.filter(
                    Q(service=found)
                    | Q(service_label__iexact=found.slug)
                    | Q(repository__in=linked)
                    | Q(deployment__repository__in=linked)
                )
            else:
                repositories = [r for r in repositories if r.name.lower() == found.slug]
                incidents = incidents.filter(
                    Q(service=found) | Q(service_label__iexact=found.slug)
                )
    production = _production_names(repositories)
    outcomes = (
        DeploymentOutcome.objects.filter(
            deployment__repository__in=[r.pk for r in repositories],
            deployment__created_at__gte=start - HISTORY,
            deployment__created_at__lt=end,
        )
        .select_related("deployment")
        .annotate(incident_count=Min("deployment__incidents__id"))
    )
    facts = Facts()
    for outcome in outcomes:
        d = outcome.deployment
        if d.environment.lower() not in production.get(d.repository_id, set()):
            continue
        facts.deployments.append(
            DeploymentFact(
                id=d.pk,
                target=f"{d.repository_id}:{d.environment.lower()}",
                sha=d.sha,
                ref=d.ref,
                created_at=d.created_at,
                succeeded_at=outcome.succeeded_at,
                failed_at=outcome.failed_at,
                named_by_incident=outcome.incident_count is not None,
                repository_id=d.repository_id,
            )
        )
    if facts.deployments:
        first = min(d.created_at for d in facts.deployments)
        facts.commits = [
            CommitFact(c.repository_id, c.sha, c.committed_at, c.pushed_at, c.ref)
            for c in CommitSeen.objects.filter(
                repository__in={d.repository_id for d in facts.deployments},
                pushed_at__gte=first - HISTORY,
                pushed_at__lt=end,
            )
        ]
        shas = {d.sha for d in facts.deployments}
        facts.run_times = {
            (row["repository_id"], row["head_sha"]): row["first"]
            for row in Run.objects.filter(
                repository__in={d.repository_id for d in facts.deployments},
                head_sha__in=shas,
            )
            .values("repository_id", "head_sha")
            .annotate(first=Min("started_at"))
        }
    facts.incidents = [
        IncidentFact(
            i.severity, i.started_at, i.detected_at, i.acknowledged_at, i.resolved_at
        )
        for i in incidents.only(
            "severity", "started_at", "detected_at", "acknowledged_at", "resolved_at"
        )
    ]
    return facts


# --- Keys ----------------------------------------------------------------------------
@dataclass
class Observations:
    """Per-item values, each with the instant that places it in a range."""

    successes: list[datetime] = field(default_factory=list)
    lead_times: list[tuple[datetime, float]] = field(default_factory=list)
    outcomes: list[tuple[datetime, bool]] = field(default_factory=list)
    restores: list[tuple[datetime, float]] = field(default_factory=list)
    acknowledgements: list[tuple[datetime, float]] = field(default_factory=list)


def _contains(deployment: DeploymentFact, commit: CommitFact) -> bool:
    """A commit pushed to the deployed branch (any branch when the deployment
    names a sha, or nothing)."""
    if commit.repository_id != deployment.repository_id:
        return False
    ref = deployment.ref
    if not ref or _SHA.match(ref):
        return True
    return commit.ref in (ref, f"refs/heads/{ref}")


def observations(facts: Facts) -> Observations:
    seen = Observations()
    lines: dict[str, list[DeploymentFact]] = {}
    for d in facts.deployments:
        if d.succeeded_at is not None:
            lines.setdefault(d.target, []).append(d)
            seen.successes.append(d.succeeded_at)
    rolled_back: set[int] = set()
    # Each commit's first successful production deployment (over every line).
    first_deploy: dict[tuple[int, str], tuple[datetime, datetime]] = {}
    for line in lines.values():
        line.sort(key=lambda d: (d.succeeded_at, d.id))
        for i, d in enumerate(line):
            if (
                i > 0
                and d.sha != line[i - 1].sha
                and d.sha in {e.sha for e in line[: i - 1]}
            ):
                rolled_back.add(line[i - 1].id)
            contained: dict[str, datetime] = {}
            if i > 0:
                previous = line[i - 1]
                for c in facts.commits:
                    if previous.created_at < c.pushed_at <= d.created_at and _contains(
                        d, c
                    ):
                        contained[c.sha] = c.committed_at
            own = next(
                (
                    c
                    for c in facts.commits
                    if c.sha == d.sha and c.repository_id == d.repository_id
                ),
                None,
            )
            if own is not None:
                contained.setdefault(own.sha, own.committed_at)
            elif (d.repository_id, d.sha) in facts.run_times:
                contained.setdefault(d.sha, facts.run_times[(d.repository_id, d.sha)])
            for sha, committed in contained.items():
                key = (d.repository_id, sha)
                if key not in first_deploy or d.succeeded_at < first_deploy[key][0]:
                    first_deploy[key] = (d.succeeded_at, committed)
    for deployed, committed in first_deploy.values():
        seen.lead_times.append(
            (deployed, max(0.0, (deployed - committed).total_seconds()))
        )
    for d in facts.deployments:
        finished = (
            min(t for t in (d.succeeded_at, d.failed_at) if t is not None)
            if (d.succeeded_at or d.failed_at)
            else None
        )
        if finished is None:
            continue
        failed = d.failed_at is not None or d.id in rolled_back or d.named_by_incident
        seen.outcomes.append((finished, failed))
    for i in facts.incidents:
        if i.severity not in RESTORE_SEVERITIES:
            continue
        if i.resolved_at is not None:
            seen.restores.append(
                (i.started_at, max(0.0, (i.resolved_at - i.started_at).total_seconds()))
            )
        if i.acknowledged_at is not None:
            alerted = i.detected_at or i.started_at
            seen.acknowledgements.append(
                (i.started_at, max(0.0, (i.acknowledged_at - alerted).total_seconds()))
            )
    return seen


@dataclass
class DoraKeys:
    start: datetime
    end: datetime
    deployments: int
    deployments_per_day: float
    deployment_frequency_band: str
    lead_time_seconds: float | None
    lead_time_band: str | None
    lead_time_commits: int
    production_deployments: int
    failed_deployments: int
    change_failure_rate: float | None
    change_failure_rate_band: str | None
    time_to_restore_seconds: float | None
    time_to_restore_band: str | None
    restored_incidents: int
    mean_time_to_acknowledge_seconds: float | None


def _within(items, start, end):
    return [v for at, v in items if start <= at < end]


def keys_between(seen: Observations, start: datetime, end: datetime) -> DoraKeys:
    days = max((end - start).total_seconds() / DAY, 1 / 24)
    deployments = sum(1 for at in seen.successes if start <= at < end)
    per_day = deployments / days
    leads = _within(seen.lead_times, start, end)
    lead = statistics.median(leads) if leads else None
    outcomes = _within(seen.outcomes, start, end)
    failed = sum(1 for f in outcomes if f)
    rate = failed / len(outcomes) if outcomes else None
    restores = _within(seen.restores, start, end)
    restore = statistics.median(restores) if restores else None
    acks = _within(seen.acknowledgements, start, end)
    return DoraKeys(
        start=start,
        end=end,
        deployments=deployments,
        deployments_per_day=per_day,
        deployment_frequency_band=frequency_band(per_day),
        lead_time_seconds=lead,
        lead_time_band=lead_time_band(lead),
        lead_time_commits=len(leads),
        production_deployments=len(outcomes),
        failed_deployments=failed,
        change_failure_rate=rate,
        change_failure_rate_band=failure_rate_band(rate),
        time_to_restore_seconds=restore,
        time_to_restore_band=restore_band(restore),
        restored_incidents=len(restores),
        mean_time_to_acknowledge_seconds=statistics.fmean(acks) if acks else None,
    )


def weeks(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """ISO weeks (Monday 00:00 UTC) overlapping [start, end), cut to the range."""
    monday = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday())
    spans = []
    while monday < end:
        following = monday + timedelta(days=7)
        spans.append((max(monday, start), min(following, end)))
        monday = following
    return spans


@dataclass
class DoraReport:
    keys: DoraKeys
    weekly: list[DoraKeys]


def dora_keys(facts: Facts, *, start: datetime, end: datetime) -> DoraReport:
    seen = observations(facts)
    return DoraReport(
        keys=keys_between(seen, start, end),
        weekly=[keys_between(seen, a, b) for a, b in weeks(start, end)],
    )


def dora_report(
    domain: Domain, *, start: datetime, end: datetime, service: str | None = None
) -> DoraReport:
    return dora_keys(
        dora_facts(domain, start=start, end=end, service=service), start=start, end=end
    )
