"""Monitor webhooks (PagerDuty v3, Alertmanager v4, Opsgenie, Statuspage):
verify as each sender signs, store before answering (the outbox), process once
into incident upserts, keep unmapped deliveries as ignored and replayable."""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.tasks import enqueue_on_commit
from dashboard.domains.models import Domain, Service
from dashboard.platform.cleaning import json_clean, notes_collected, text_clean
from dashboard.platform.models import OutboxState
from dashboard.platform.services import outbox_row_replay
from dashboard.platform.upserts import Upserted
from incidents.models import (
    Incident,
    IncidentStatus,
    MonitorDelivery,
    Severity,
    Source,
    SourceMapping,
)
from incidents.services.incidents import (
    IncidentReport,
    SourceNote,
    incident_upsert,
    notes_add,
)
from incidents.severity import severity_or
from pipelines.ingest.services.webhooks import PayloadError, ts

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 5 * 1024 * 1024
SIGNATURE_DENIAL_ACTION = "webhook.{source}_signature"


# --- Verification ---------------------------------------------------------------------
def _secrets(name: str) -> tuple[str, ...]:
    """The setting's secrets: comma-separated, so a rotation can list both."""
    raw = getattr(settings, name, "") or ""
    return tuple(s.strip() for s in raw.split(",") if s.strip())


def pagerduty_signature_valid(*, body: bytes, header: str | None) -> bool:
    """X-PagerDuty-Signature: one or more `v1=<hex HMAC-SHA256 of the raw body>`,
    comma-separated (PagerDuty signs with every active secret of the
    subscription). Any match of any configured secret passes; each comparison
    is constant-time."""
    secrets = _secrets("PAGERDUTY_WEBHOOK_SECRET")
    if not header or not secrets:
        return False
    claimed = [
        part.strip()[3:].lower()
        for part in header.split(",")
        if part.strip().startswith("v1=")
    ]
    valid = False
    for secret in secrets:
        mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        for signature in claimed:
            valid |= hmac.compare_digest(mac, signature)
    return valid


def pagerduty_signature_for(body: bytes, secret: str | None = None) -> str:
    """The header PagerDuty would send (for tests and tooling)."""
    secret = secret or _secrets("PAGERDUTY_WEBHOOK_SECRET")[0]
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def token_valid(*, presented: str | None, setting: str) -> bool:
    """A shared token (Alertmanager's bearer credentials, Opsgenie's custom
    header, Statuspage's URL token), compared in constant time."""
    if not presented:
        return False
    valid = False
    for secret in _secrets(setting):
        valid |= hmac.compare_digest(secret.encode(), presented.encode())
    return valid


TOKEN_SETTINGS = {
    Source.ALERTMANAGER: "ALERTMANAGER_WEBHOOK_TOKEN",
    Source.OPSGENIE: "OPSGENIE_WEBHOOK_TOKEN",
    Source.STATUSPAGE: "STATUSPAGE_WEBHOOK_TOKEN",
}


# --- Receiving --------------------------------------------------------------------------
def delivery_identity(source: str, payload: dict, body: bytes) -> tuple[str, str, str]:
    """(delivery id, event, routing key) of a payload. PagerDuty names each
    event; the other senders do not, so an identical body is the same delivery
    (a retry), and any change makes a new one."""
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if source == Source.PAGERDUTY:
        event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        return (
            str(event.get("id") or digest),
            str(event.get("event_type") or ""),
            str(_dict(data.get("service")).get("id") or ""),
        )
    if source == Source.ALERTMANAGER:
        return digest, str(payload.get("status") or ""), _am_keys(payload)[0]
    if source == Source.OPSGENIE:
        return (
            digest,
            str(payload.get("action") or ""),
            str(payload.get("integrationId") or payload.get("integrationName") or ""),
        )
    incident = _dict(payload.get("incident"))
    return (
        digest,
        "incident" if incident else "component",
        str(_dict(payload.get("page")).get("id") or incident.get("page_id") or ""),
    )


@transaction.atomic
def monitor_delivery_receive(
    *, source: str, body: bytes, payload: dict, request_id: str = ""
) -> Upserted[MonitorDelivery]:
    """Store a verified delivery once and enqueue it; a repeat only counts."""
    delivery_id, event, key = delivery_identity(source, payload, body)
    now = timezone.now()
    delivery, created = MonitorDelivery.objects.get_or_create(
        source=source,
        delivery_id=text_clean(delivery_id)[:200],
        defaults={
            "event": text_clean(event)[:100],
            "source_key": text_clean(key)[:200],
            "body": body,
            "body_size": len(body),
            "request_id": request_id[:128],
            "enqueued_at": now,
            "enqueue_count": 1,
        },
    )
    if created:
        enqueue_on_commit(MonitorDelivery.outbox_task_name, delivery.pk)
    else:
        MonitorDelivery.objects.filter(pk=delivery.pk).update(
            duplicate_count=F("duplicate_count") + 1, last_duplicate_at=now
        )
    logger.info(
        "monitor delivery %s",
        "accepted" if created else "seen before",
        extra={"source": source, "delivery_id": delivery_id, "pk": delivery.pk},
    )
    return Upserted(delivery, "created" if created else "unchanged")


# --- Processing -------------------------------------------------------------------------
@dataclass
class Parsed:
    """What a payload asks for: reports to upsert, notes for incidents known
    only by id, the keys a mapping may match, or why nothing applies."""

    reports: list[IncidentReport] = field(default_factory=list)
    notes: list[tuple[str, SourceNote]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    ignored: str = ""


DATA_ERRORS = (
    PayloadError,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
    DataError,
    IntegrityError,
)


@transaction.atomic
def monitor_delivery_process(*, delivery_id: int) -> str:
    """Apply one stored delivery. Idempotent: a finished one is left alone and
    every effect is an upsert."""
    delivery = (
        MonitorDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    )
    if delivery is None:
        return "missing"
    if delivery.state in (OutboxState.DONE, OutboxState.IGNORED, OutboxState.FAILED):
        return delivery.state
    delivery.attempts += 1
    try:
        payload = json_clean(json.loads(bytes(delivery.body)))
        if not isinstance(payload, dict):
            raise PayloadError("The payload is not a JSON object.")
        with transaction.atomic(), notes_collected() as notes:
            state, reason = _apply(delivery, PARSERS[delivery.source](payload))
        if notes and not reason:
            reason = "Stored with changes: " + "; ".join(notes)
    except DATA_ERRORS as exc:
        state = OutboxState.FAILED
        reason = (
            f"The payload lacks {exc}; fix the sender, then replay."
            if isinstance(exc, KeyError)
            else f"The payload has a value that cannot be stored: {exc}"
        )
        delivery.error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning(
            "monitor delivery failed",
            extra={"delivery_id": delivery.delivery_id, "error": delivery.error},
        )
    delivery.state = state
    delivery.reason = reason[:300]
    delivery.processed_at = timezone.now()
    if state != OutboxState.FAILED:
        delivery.error = ""
    delivery.save()
    return state


def _apply(delivery: MonitorDelivery, parsed: Parsed) -> tuple[str, str]:
    if parsed.ignored:
        return OutboxState.IGNORED, parsed.ignored
    label = Source(delivery.source).label
    if parsed.notes and not parsed.reports:
        incidents = list(
            Incident.objects.select_for_update().filter(
                source=delivery.source,
                external_id__in=[external for external, _ in parsed.notes],
            )
        )
        if not incidents:
            return (
                OutboxState.IGNORED,
                f"The note is for a {label} incident not seen here; replay it "
                "once the incident has arrived.",
            )
        for incident in incidents:
            notes_add(
                incident,
                [n for ext, n in parsed.notes if ext == incident.external_id],
                delivery=delivery,
            )
        delivery.domain = incidents[0].domain
        return OutboxState.DONE, ""
    mapping = (
        SourceMapping.objects.select_related("domain", "service")
        .filter(source=delivery.source, key__in=[k for k in parsed.keys if k])
        .first()
    )
    if mapping is None:
        delivery.domain = None
        shown = ", ".join(repr(k) for k in parsed.keys if k) or "(none)"
        return (
            OutboxState.IGNORED,
            f"No domain is mapped for {label} {shown}; map one with `python "
            f"manage.py map_incident_source {delivery.source} KEY DOMAIN`, then "
            "replay.",
        )
    delivery.domain = mapping.domain
    delivery.source_key = mapping.key
    for report in parsed.reports:
        incident_upsert(
            domain=mapping.domain,
            report=report,
            delivery=delivery,
            mapped_service=mapping.service,
        )
    return OutboxState.DONE, ""


@transaction.atomic
def monitor_delivery_fail(*, delivery_id: int, reason: str, error: str = "") -> str:
    MonitorDelivery.objects.filter(pk=delivery_id).exclude(
        state__in=(OutboxState.DONE, OutboxState.IGNORED)
    ).update(
        state=OutboxState.FAILED,
        reason=reason[:300],
        error=error[:2000],
        processed_at=timezone.now(),
    )
    return OutboxState.FAILED


def monitor_delivery_replay(*, delivery: MonitorDelivery) -> MonitorDelivery:
    """Process a failed or ignored delivery again (dashboard.platform's
    outbox_row_replay)."""
    return outbox_row_replay(row=delivery)


def deliveries_replay_for_key(*, source: str, key: str) -> int:
    """Replay the deliveries ignored for want of a mapping of (source, key)."""
    # The stored key is the payload's first; the reason names every key it
    # offered (a mapping by a PagerDuty service's name finds it there).
    ignored = MonitorDelivery.objects.filter(
        Q(source_key__iexact=key) | Q(reason__contains=repr(key)),
        source=source,
        state=OutboxState.IGNORED,
        domain__isnull=True,
    )
    count = 0
    for delivery in ignored.order_by("pk"):
        monitor_delivery_replay(delivery=delivery)
        count += 1
    return count


@transaction.atomic
def source_map(
    *, source: str, key: str, domain: Domain, service: Service | None = None
) -> tuple[Upserted[SourceMapping], int]:
    """Route a monitor's service or integration `key` to `domain`, then replay
    the deliveries ignored because it was not mapped; (mapping, replayed)."""
    source = Source(source).value
    mapping, created = SourceMapping.objects.update_or_create(
        source=source, key=key, defaults={"domain": domain, "service": service}
    )
    replayed = deliveries_replay_for_key(source=source, key=key)
    return Upserted(mapping, "created" if created else "updated"), replayed


# --- Parsers: one per sender, payload in, Parsed out -------------------------------------
def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str:
    return "" if value is None else str(value)


def _epoch(value: object) -> datetime | None:
    """Opsgenie's times: epoch milliseconds (createdAt) or nanoseconds
    (updatedAt)."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{value!r:.60} is not an epoch time")
    seconds = value / 1e9 if value > 1e14 else value / 1e3 if value > 1e11 else value
    return ts(seconds)


PD_STATUS = {
    "triggered": IncidentStatus.TRIGGERED,
    "acknowledged": IncidentStatus.ACKNOWLEDGED,
    "resolved": IncidentStatus.RESOLVED,
}
PD_URGENCY = {"high": Severity.SEV2, "low": Severity.SEV4}
# Events that say the incident went back: applied when later than what is stored.
PD_MOVES_BACK = ("incident.reopened", "incident.unacknowledged")


def parse_pagerduty(payload: dict) -> Parsed:
    """PagerDuty v3: {"event": {id, event_type, resource_type, occurred_at,
    agent, data}}. Incident events carry the incident in `data`; annotations
    carry {incident: reference, id, content}."""
    event = payload["event"]
    kind = _str(event.get("event_type"))
    occurred = ts(event.get("occurred_at"))
    actor = _str(_dict(event.get("agent")).get("summary"))
    data = _dict(event.get("data"))
    if kind == "incident.annotated":
        incident = _dict(data.get("incident"))
        note = SourceNote(
            key=f"pd-note:{data['id']}",
            at=occurred or timezone.now(),
            text=_str(data.get("content")),
            actor=actor,
        )
        return Parsed(notes=[(str(incident["id"]), note)])
    if event.get("resource_type") != "incident" or data.get("type") != "incident":
        return Parsed(ignored=f"The PagerDuty event {kind!r} is not processed.")
    status = PD_STATUS.get(_str(data.get("status")))
    if status is None:
        raise PayloadError(f"Unknown PagerDuty status {data.get('status')!r:.40}")
    service = _dict(data.get("service"))
    priority = _dict(data.get("priority")).get("summary")
    severity = severity_or(priority, None) or PD_URGENCY.get(_str(data.get("urgency")))
    assignees = [a for a in data.get("assignees") or [] if isinstance(a, dict)]
    created = ts(data.get("created_at"))
    report = IncidentReport(
        source=Source.PAGERDUTY,
        external_id=str(data["id"]),
        status=status,
        title=_str(data.get("title")) or None,
        severity=severity,
        started_at=created,
        detected_at=created,
        url=_str(data.get("html_url")) or None,
        commander=_str(assignees[0].get("summary")) if assignees else None,
        source_updated_at=occurred,
        actor=f"PagerDuty: {actor}" if actor else "PagerDuty",
        extra_changes={"event": kind},
        moves_back=kind in PD_MOVES_BACK,
    )
    return Parsed(
        reports=[report],
        keys=[_str(service.get("id")), _str(service.get("summary"))],
    )


def _am_keys(payload: dict) -> list[str]:
    common = _dict(payload.get("commonLabels"))
    return [_str(common.get("service")), _str(payload.get("receiver"))]


def parse_alertmanager(payload: dict) -> Parsed:
    """Alertmanager webhook v4: alerts[] each with status, labels, annotations,
    startsAt, endsAt, fingerprint. One incident per alert firing: the
    fingerprint and its startsAt (a new firing after resolution is a new one)."""
    version = _str(payload.get("version"))
    if version and version != "4":
        return Parsed(ignored=f"Alertmanager webhook version {version!r} is not v4.")
    reports = []
    for alert in payload["alerts"]:
        labels = _dict(alert.get("labels"))
        annotations = _dict(alert.get("annotations"))
        starts = ts(alert["startsAt"])
        resolved = _str(alert.get("status")) == "resolved"
        ends = ts(alert.get("endsAt")) if resolved else None
        title = (
            _str(annotations.get("summary")) or _str(labels.get("alertname")) or "Alert"
        )
        reports.append(
            IncidentReport(
                source=Source.ALERTMANAGER,
                external_id=f"{alert['fingerprint']}@{starts.isoformat()}",
                status=IncidentStatus.RESOLVED
                if resolved
                else IncidentStatus.TRIGGERED,
                title=title,
                severity=severity_or(labels.get("severity"), Severity.SEV3),
                service=_str(labels.get("service")) or None,
                started_at=starts,
                detected_at=starts,
                resolved_at=ends,
                url=_str(alert.get("generatorURL")) or None,
                source_updated_at=ends or starts,
                actor=f"Alertmanager: {_str(payload.get('receiver'))}",
            )
        )
    return Parsed(reports=reports, keys=_am_keys(payload))


OG_STATUS = {
    "Create": IncidentStatus.TRIGGERED,
    "Acknowledge": IncidentStatus.ACKNOWLEDGED,
    "Close": IncidentStatus.RESOLVED,
}


def parse_opsgenie(payload: dict) -> Parsed:
    """Opsgenie outgoing webhook: {action, alert: {alertId, message, priority,
    createdAt (ms), updatedAt (ns), username, note…}, integrationId…}."""
    action = _str(payload.get("action"))
    alert = payload["alert"]
    external = str(alert["alertId"])
    updated = _epoch(alert.get("updatedAt")) or _epoch(alert.get("createdAt"))
    actor = _str(alert.get("username"))
    if action == "AddNote":
        note = SourceNote(
            key=f"og-note:{external}:{alert.get('updatedAt')}",
            at=updated or timezone.now(),
            text=_str(alert.get("note")),
            actor=actor,
        )
        return Parsed(notes=[(external, note)])
    status = OG_STATUS.get(action)
    if status is None:
        return Parsed(ignored=f"The Opsgenie action {action!r:.40} is not processed.")
    created = _epoch(alert.get("createdAt"))
    report = IncidentReport(
        source=Source.OPSGENIE,
        external_id=external,
        status=status,
        title=_str(alert.get("message")) or None,
        severity=severity_or(alert.get("priority"), None),
        service=_str(alert.get("entity")) or None,
        started_at=created,
        detected_at=created,
        source_updated_at=updated,
        actor=f"Opsgenie: {actor}" if actor else "Opsgenie",
        extra_changes={"action": action},
    )
    return Parsed(
        reports=[report],
        keys=[_str(payload.get("integrationId")), _str(payload.get("integrationName"))],
    )


SP_STATUS = {
    "investigating": IncidentStatus.ACKNOWLEDGED,
    "identified": IncidentStatus.ACKNOWLEDGED,
    "monitoring": IncidentStatus.MITIGATED,
    "resolved": IncidentStatus.RESOLVED,
    "postmortem": IncidentStatus.RESOLVED,
}
SP_IMPACT = {
    "critical": Severity.SEV1,
    "major": Severity.SEV2,
    "minor": Severity.SEV3,
    "none": Severity.SEV4,
    "maintenance": Severity.SEV5,
}


def parse_statuspage(payload: dict) -> Parsed:
    """Statuspage subscriber webhook: {meta, page, incident: {id, name, status,
    impact, created_at, updated_at, monitoring_at, resolved_at, shortlink,
    incident_updates[]}}; component updates are not incidents."""
    if "incident" not in payload:
        return Parsed(ignored="A Statuspage component update is not an incident.")
    incident = payload["incident"]
    status = SP_STATUS.get(_str(incident.get("status")))
    if status is None:
        return Parsed(
            ignored=f"Statuspage status {incident.get('status')!r:.40} "
            "(scheduled maintenance) is not an incident."
        )
    updates = [u for u in incident.get("incident_updates") or [] if isinstance(u, dict)]
    firsts: dict[str, datetime] = {}
    notes = []
    for update in updates:
        at = ts(update.get("created_at"))
        mapped = SP_STATUS.get(_str(update.get("status")))
        if at and mapped and (mapped not in firsts or at < firsts[mapped]):
            firsts[mapped] = at
        if at and update.get("body"):
            notes.append(
                SourceNote(
                    key=f"sp-update:{update.get('id')}",
                    at=at,
                    text=f"[{update.get('status')}] {update['body']}",
                    actor="Statuspage",
                )
            )
    created = ts(incident.get("created_at"))
    impact = _str(incident.get("impact_override") or incident.get("impact"))
    report = IncidentReport(
        source=Source.STATUSPAGE,
        external_id=str(incident["id"]),
        status=status,
        title=_str(incident.get("name")) or None,
        severity=SP_IMPACT.get(impact),
        started_at=created,
        detected_at=created,
        acknowledged_at=firsts.get(IncidentStatus.ACKNOWLEDGED),
        mitigated_at=ts(incident.get("monitoring_at"))
        or firsts.get(IncidentStatus.MITIGATED),
        resolved_at=ts(incident.get("resolved_at"))
        or firsts.get(IncidentStatus.RESOLVED),
        url=_str(incident.get("shortlink")) or None,
        source_updated_at=ts(incident.get("updated_at")),
        actor="Statuspage",
        notes=notes,
    )
    page = _dict(payload.get("page"))
    return Parsed(
        reports=[report],
        keys=[_str(page.get("id")), _str(incident.get("page_id"))],
    )


PARSERS = {
    Source.PAGERDUTY: parse_pagerduty,
    Source.ALERTMANAGER: parse_alertmanager,
    Source.OPSGENIE: parse_opsgenie,
    Source.STATUSPAGE: parse_statuspage,
}
