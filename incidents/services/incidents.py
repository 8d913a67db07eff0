"""Incidents: the one upsert every source goes through (never backwards), notes
and milestones, and source mappings."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from dashboard.board.panels import annotations_changed
from dashboard.domains.models import Domain, Repository, Service
from dashboard.platform.cleaning import fit, text_clean
from dashboard.platform.upserts import Upserted
from incidents.models import (
    MILESTONE_FIELDS,
    STATUS_MILESTONE,
    STATUS_RANK,
    Incident,
    IncidentStatus,
    Milestone,
    MonitorDelivery,
    Severity,
    TimelineEntry,
    TimelineKind,
)
from incidents.services.dora_summaries import dora_summary_refresh_request
from pipelines.ingest.models import Deployment

logger = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class IncidentReport:
    """What one source says about one incident at one moment. None means "not
    said" (the stored value stays)."""

    source: str
    external_id: str
    status: str = IncidentStatus.TRIGGERED
    title: str | None = None
    severity: str | None = None
    service: str | None = None  # a service slug of the domain, or OWNER/NAME
    started_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    url: str | None = None
    commander: str | None = None
    deployment: Deployment | None = None
    source_updated_at: datetime | None = None
    actor: str = ""
    notes: list["SourceNote"] = field(default_factory=list)
    extra_changes: dict = field(default_factory=dict)
    # The source says the incident went back to `status` (reopened after a
    # resolve, unacknowledged after an acknowledgement): applied when it is
    # later than what is stored, unlike a late report of a lower status.
    moves_back: bool = False


@dataclass
class SourceNote:
    """A note or status update the source wrote; `key` is its id there."""

    key: str
    at: datetime
    text: str
    actor: str = ""


def progress_key(status: str, source_updated_at: datetime | None) -> tuple:
    """The order reports are applied in: status rank first, then the source's
    own time. A report that sorts lower never moves the incident backwards."""
    return (STATUS_RANK.get(status, 0), source_updated_at or _EPOCH)


def _service_of(domain: Domain, name: str | None) -> tuple:
    """(Service, Repository, label) for what the source called the service."""
    if not name:
        return None, None, ""
    name = text_clean(name).strip()[:200]
    service = Service.objects.filter(domain=domain, slug__iexact=name).first()
    repository = (
        Repository.objects.filter(domain=domain, full_name__iexact=name).first()
        if service is None
        else None
    )
    return service, repository, name


def _iso(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def incident_upsert(
    *,
    domain: Domain,
    report: IncidentReport,
    delivery: MonitorDelivery | None = None,
    mapped_service: Service | None = None,
) -> Upserted[Incident]:
    """Create or update the incident (domain, source, external_id).

    Reports are applied in progress_key order whatever order they arrive in: a
    later-sorting report sets status, title, severity and the other fields; an
    earlier-sorting one (a late `acknowledged` after `resolved`) only fills the
    milestone times still empty. Every change is a timeline entry.
    """
    now = timezone.now()
    at = report.source_updated_at or now
    service, repository, label = _service_of(domain, report.service)
    service = service or mapped_service
    implied = {}
    milestone = STATUS_MILESTONE.get(report.status)
    if milestone and getattr(report, milestone) is None:
        implied[milestone] = at
    times = {
        name: getattr(report, name) or implied.get(name) for name in MILESTONE_FIELDS
    }
    lookup = {
        "domain": domain,
        "source": text_clean(report.source)[:40],
        "external_id": text_clean(report.external_id)[:200],
    }
    incident = Incident.objects.select_for_update().filter(**lookup).first()
    if incident is None:
        values = fit(
            Incident,
            {
                "title": report.title or report.external_id,
                "severity": report.severity or Severity.SEV3,
                "status": report.status,
                "service": service,
                "repository": repository,
                "service_label": label,
                "deployment": report.deployment,
                "url": report.url or "",
                "commander": report.commander or "",
                "source_updated_at": report.source_updated_at,
                "moved_back_at": at if report.moves_back else None,
                **{k: v for k, v in times.items() if v is not None},
            },
        )
        values["started_at"] = (
            times["started_at"]
            or times["detected_at"]
            or report.source_updated_at
            or now
        )
        try:
            with transaction.atomic():
                incident = Incident.objects.create(**lookup, **values)
        except IntegrityError:
            incident = Incident.objects.select_for_update().get(**lookup)
        else:
            _entry(
                incident,
                at=at,
                kind=TimelineKind.OPENED,
                actor=report.actor,
                text=f"Opened as {incident.severity}, {incident.status}: "
                f"{incident.title}",
                delivery=delivery,
            )
            notes_add(incident, report.notes, delivery=delivery)
            logger.info(
                "incident opened",
                extra={"incident_id": incident.pk, "source": incident.source},
            )
            dora_summary_refresh_request(domain_id=domain.pk)
            annotations_changed(domain.pk)
            return Upserted(incident, "created")
    result = _update(
        incident, report, times, set(implied), delivery, service, repository, label, at
    )
    if result.changed:
        dora_summary_refresh_request(domain_id=domain.pk)
        annotations_changed(domain.pk)
    return result


# What a move back undoes: a reopened incident is neither mitigated nor resolved
# any more (its restore time runs again); the first acknowledgement stays (MTTA).
CLEARED_BY_MOVE_BACK = ("mitigated_at", "resolved_at")


def _update(incident, report, times, implied, delivery, service, repository, label, at):
    before_move_back = (
        incident.moved_back_at is not None and at <= incident.moved_back_at
    )
    if report.moves_back:
        newer = at > (incident.source_updated_at or _EPOCH)
    else:
        newer = not before_move_back and progress_key(
            report.status, report.source_updated_at
        ) > progress_key(incident.status, incident.source_updated_at)
    changes: dict[str, list] = {}

    def change(name: str, value: object) -> None:
        current = getattr(incident, name)
        if value is not None and value != current:
            changes[name] = [_iso(current), _iso(value)]
            setattr(incident, name, value)

    # Milestones: fill the empty ones from any report. A time only implied by
    # a report's status (reported at T, so reached by T) and the start only
    # move earlier; a newer report may correct a time it states.
    for name, value in times.items():
        if value is None:
            continue
        if (before_move_back or report.moves_back) and name in CLEARED_BY_MOVE_BACK:
            continue
        current = getattr(incident, name)
        if current is None:
            change(name, value)
        elif name == "started_at" or name in implied:
            if value < current:
                change(name, value)
        elif newer:
            change(name, value)
    if newer and report.moves_back:
        rank = STATUS_RANK.get(report.status, 0)
        for name in CLEARED_BY_MOVE_BACK:
            if getattr(incident, name) is not None and rank < STATUS_RANK.get(
                name.removesuffix("_at"), 0
            ):
                changes[name] = [_iso(getattr(incident, name)), None]
                setattr(incident, name, None)
        incident.moved_back_at = at
    if newer:
        change("status", report.status)
        values = fit(
            Incident,
            {
                "title": report.title,
                "severity": report.severity,
                "url": report.url,
                "commander": report.commander,
            },
        )
        for name, value in values.items():
            if value:
                change(name, value)
        if report.deployment is not None:
            change("deployment", report.deployment)
        if label:
            change("service", service)
            change("repository", repository)
            change("service_label", label)
        incident.source_updated_at = (
            report.source_updated_at or incident.source_updated_at
        )
    elif before_move_back and report.status != incident.status:
        _entry(
            incident,
            at=at,
            kind=TimelineKind.IGNORED,
            actor=report.actor,
            text=f"A report of status {report.status} (at {_iso(at)}) predates the "
            f"move back to {incident.status} (at {_iso(incident.moved_back_at)}); "
            "it is not applied.",
            delivery=delivery,
        )
    elif report.status != incident.status and (
        report.moves_back
        or STATUS_RANK.get(report.status, 0) < STATUS_RANK[incident.status]
    ):
        _entry(
            incident,
            at=at,
            kind=TimelineKind.IGNORED,
            actor=report.actor,
            text=(
                f"A move back to {report.status} (at {_iso(at)}) predates the "
                f"latest report ({incident.status}); it is not applied."
                if report.moves_back
                else f"A report of status {report.status} (at {_iso(at)}) came "
                f"after the incident was {incident.status}; it does not move it back."
            ),
            delivery=delivery,
        )
    added = notes_add(incident, report.notes, delivery=delivery)
    if not changes:
        if newer:
            incident.save()
        return Upserted(incident, "updated" if added else "unchanged")
    incident.save()
    if "status" in changes:
        kind = TimelineKind.STATUS
        text = f"Status {changes['status'][0]} → {changes['status'][1]}"
        if report.moves_back:
            text += " (moved back by the source)"
    else:
        kind = TimelineKind.CHANGED
        text = "Changed " + ", ".join(sorted(changes))
    _entry(
        incident,
        at=at,
        kind=kind,
        actor=report.actor,
        text=text,
        changes=changes | report.extra_changes,
        delivery=delivery,
    )
    return Upserted(incident, "updated")


def _entry(incident, *, at, kind, actor="", text="", changes=None, delivery=None):
    return TimelineEntry.objects.create(
        incident=incident,
        at=at,
        kind=kind,
        actor=text_clean(actor or "")[:200],
        text=text_clean(text),
        changes=changes or {},
        delivery=delivery,
    )


def notes_add(incident: Incident, notes: list[SourceNote], *, delivery=None) -> int:
    """The source's notes not yet on the timeline (by their key); how many."""
    if not notes:
        return 0
    keys = [text_clean(n.key)[:200] for n in notes]
    known = set(
        TimelineEntry.objects.filter(
            incident=incident, source_entry_id__in=keys
        ).values_list("source_entry_id", flat=True)
    )
    added = 0
    for note, key in zip(notes, keys, strict=True):
        if key in known:
            continue
        known.add(key)
        TimelineEntry.objects.create(
            incident=incident,
            at=note.at,
            kind=TimelineKind.NOTE,
            actor=text_clean(note.actor)[:200],
            text=text_clean(note.text),
            delivery=delivery,
            source_entry_id=key,
        )
        added += 1
    return added


@transaction.atomic
def incident_note_add(*, incident: Incident, text: str, actor: str) -> TimelineEntry:
    """A note an engineer writes on the incident's page."""
    return _entry(
        incident, at=timezone.now(), kind=TimelineKind.NOTE, actor=actor, text=text
    )


@transaction.atomic
def milestone_add(
    *, incident: Incident, name: str, at: datetime, actor: str
) -> Milestone:
    """A named moment, and a timeline entry saying who marked it."""
    milestone = Milestone.objects.create(
        incident=incident, name=text_clean(name)[:200], at=at, author=actor[:200]
    )
    _entry(
        incident,
        at=at,
        kind=TimelineKind.MILESTONE,
        actor=actor,
        text=f"Milestone: {milestone.name}",
    )
    return milestone
