"""Writes for SLOs: import definition files (idempotent, diffed, audited) and
record SLI points (idempotent per (slo, ts))."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Max

from config.tasks import enqueue_on_commit
from dashboard.domains.models import Domain
from dashboard.domains.services import audit_record
from dashboard.platform.upserts import Upserted
from slos import maths, notify
from slos.models import AlertWebhook, SliHour, SliPoint, Slo, SloAlert
from slos.selectors import window_counts
from slos.specs import SloSpec, specs_parse

# What a definition decides; the rest of an Slo row is bookkeeping.
DEFINITION_FIELDS = (
    "display_name",
    "service",
    "description",
    "objective",
    "window_seconds",
    "rolling",
    "budgeting",
    "slice_target",
    "slice_window_seconds",
    "indicator",
    "alerting",
    "source_format",
)
MAX_POINTS_PER_CALL = 10_000


def definition_of(spec: SloSpec) -> dict[str, Any]:
    return {
        "display_name": spec.display_name[:200],
        "service": spec.service[:100],
        "description": spec.description,
        "objective": spec.objective,
        "window_seconds": int(spec.window.total_seconds()),
        "rolling": spec.rolling,
        "budgeting": spec.budgeting,
        "slice_target": spec.slice_target,
        "slice_window_seconds": int(spec.slice_window.total_seconds())
        if spec.slice_window
        else None,
        "indicator": spec.indicator,
        "alerting": spec.alerting,
        "source_format": spec.source_format,
    }


@dataclass
class SloImport:
    """What an import did (or, for a dry run, would do), SLO by SLO."""

    results: list[Upserted[Slo]] = field(default_factory=list)
    # name -> {field: [before, after]} for each SLO whose definition changed.
    diffs: dict[str, dict[str, list]] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


@transaction.atomic
def slos_import(
    *,
    domain: Domain,
    text: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    dry_run: bool = False,
) -> SloImport:
    """Create or update the SLOs a file defines (raises slos.specs.SpecsRefused
    with every error, storing nothing). The same file again changes nothing."""
    outcome = SloImport()
    for spec in specs_parse(text):
        wanted = definition_of(spec)
        slo = (
            Slo.objects.select_for_update()
            .filter(domain=domain, name=spec.name)
            .first()
        )
        if slo is None:
            slo = Slo(domain=domain, name=spec.name, **wanted)
            if not dry_run:
                slo.save()
                audit_record(
                    actor=actor,
                    actor_label=actor_label,
                    action="slo.create",
                    domain=domain,
                    obj=slo,
                    after=wanted,
                )
            outcome.results.append(Upserted(slo, "created"))
            continue
        before = {f: getattr(slo, f) for f in DEFINITION_FIELDS}
        diff = {
            f: [before[f], wanted[f]]
            for f in DEFINITION_FIELDS
            if before[f] != wanted[f]
        }
        if not diff:
            outcome.results.append(Upserted(slo, "unchanged"))
            continue
        outcome.diffs[spec.name] = diff
        if not dry_run:
            for name, value in wanted.items():
                setattr(slo, name, value)
            slo.save()
            audit_record(
                actor=actor,
                actor_label=actor_label,
                action="slo.update",
                domain=domain,
                obj=slo,
                before={f: v[0] for f, v in diff.items()},
                after={f: v[1] for f, v in diff.items()},
            )
        outcome.results.append(Upserted(slo, "updated"))
    return outcome


@transaction.atomic
def slo_save(
    *,
    domain: Domain,
    name: str,
    definition: dict[str, Any],
    actor: AbstractBaseUser | None,
    slo: Slo | None = None,
) -> Upserted[Slo]:
    """Create an SLO by hand, or change one (a domain admin's form); audited with
    what changed. The same values again change nothing."""
    if slo is None:
        slo = Slo.objects.create(
            domain=domain, name=name, source_format="manual", **definition
        )
        audit_record(
            actor=actor, action="slo.create", domain=domain, obj=slo, after=definition
        )
        return Upserted(slo, "created")
    slo = Slo.objects.select_for_update().get(pk=slo.pk)
    diff = {
        f: [getattr(slo, f), v] for f, v in definition.items() if getattr(slo, f) != v
    }
    if not diff:
        return Upserted(slo, "unchanged")
    for field_name, (_, value) in diff.items():
        setattr(slo, field_name, value)
    slo.save()
    audit_record(
        actor=actor,
        action="slo.update",
        domain=domain,
        obj=slo,
        before={f: v[0] for f, v in diff.items()},
        after={f: v[1] for f, v in diff.items()},
    )
    return Upserted(slo, "updated")


@dataclass(frozen=True)
class SliCounts:
    ts: datetime
    good: int
    total: int
    # The model or prompt pin that served these events ("" = not tagged).
    pin_id: str = ""
    pin_version: str = ""


# Re-sum the hours (hour_end − 1 h, hour_end], in UTC, of a range of points.
_HOURS_REFRESH = """
    INSERT INTO slos_slihour (slo_id, hour_end, good, total)
    SELECT slo_id,
           date_trunc('hour', ts - interval '1 microsecond', 'UTC') + interval '1 hour',
           sum(good), sum(total)
      FROM slos_slipoint
     WHERE slo_id = %(slo)s AND ts > %(since)s AND ts <= %(until)s
     GROUP BY 1, 2
    ON CONFLICT (slo_id, hour_end)
    DO UPDATE SET good = EXCLUDED.good, total = EXCLUDED.total
"""


@transaction.atomic
def sli_points_record(*, slo: Slo, points: Iterable[SliCounts]) -> int:
    """Store points (a repeated ts, of the same pin version when tagged,
    replaces the earlier counts) and re-sum the
    hours they fall in; returns how many were written. The caller has validated
    0 ≤ good ≤ total.

    Writers of one SLO take turns (a lock on the SLO's row), so two calls that
    touch the same hour cannot each sum it without the other's points."""
    # One row per instant and pin version: within a call too, a later point
    # replaces an earlier one.
    latest = {(p.ts, p.pin_id, p.pin_version): p for p in points}
    rows = [
        SliPoint(
            slo=slo,
            ts=p.ts,
            good=p.good,
            total=p.total,
            pin_id=p.pin_id,
            pin_version=p.pin_version,
        )
        for p in latest.values()
    ]
    if not rows:
        return 0
    Slo.objects.select_for_update().filter(pk=slo.pk).values_list("pk").first()
    SliPoint.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["slo", "ts", "pin_id", "pin_version"],
        update_fields=["good", "total"],
        batch_size=2_000,
    )
    hours = sorted({maths.hour_end(row.ts) for row in rows})
    if connection.vendor != "postgresql":
        _hours_refresh_portable(slo, hours)
        return len(rows)
    with connection.cursor() as cursor:
        # Contiguous runs of touched hours, each re-summed by one statement.
        for first, last in maths.runs(hours, step=maths.HOUR):
            cursor.execute(
                _HOURS_REFRESH,
                {"slo": slo.pk, "since": first - maths.HOUR, "until": last},
            )
    return len(rows)


def _hours_refresh_portable(slo: Slo, hours: list[datetime]) -> None:
    """The hours re-summed in Python, for SQLite under a bare `make run` (no
    date_trunc, and no unique index to upsert on: SQLite cannot build the
    covering one). The caller holds the SLO's lock."""
    for first, last in maths.runs(hours, step=maths.HOUR):
        sums: dict[datetime, list[int]] = {}
        points = SliPoint.objects.filter(
            slo=slo, ts__gt=first - maths.HOUR, ts__lte=last
        ).values_list("ts", "good", "total")
        for ts, good, total in points.iterator(chunk_size=5_000):
            pair = sums.setdefault(maths.hour_end(ts), [0, 0])
            pair[0] += good
            pair[1] += total
        SliHour.objects.filter(
            slo=slo, hour_end__gte=first, hour_end__lte=last
        ).delete()
        SliHour.objects.bulk_create(
            SliHour(slo=slo, hour_end=h, good=g, total=t) for h, (g, t) in sums.items()
        )


@dataclass(frozen=True)
class AlertTransition:
    alert: SloAlert
    change: str  # "fired" | "resolved"


@transaction.atomic
def slo_alerts_evaluate(
    *, slo: Slo, at: datetime, conditions: list[maths.AlertCondition] | None = None
) -> list[AlertTransition]:
    """Open an alert for each condition that fires at `at` and has none open;
    resolve the open ones whose condition no longer fires. Evaluating the same
    instant again changes nothing, and an instant before the SLO's last alert
    change changes nothing either: alert history never runs backwards.
    `conditions` are the ones at `at` when the caller has them already."""
    last_change = SloAlert.objects.filter(slo=slo).aggregate(
        fired=Max("fired_at"), resolved=Max("resolved_at")
    )
    if any(moment is not None and at < moment for moment in last_change.values()):
        return []
    if conditions is None:
        conditions = maths.alert_conditions_of(
            window_counts([slo], at=at)[slo.pk],
            objective=slo.objective,
            slo_window=timedelta(seconds=slo.window_seconds),
            min_events=slo.min_events,
        )
    open_alerts = {
        (a.severity, a.long_window): a
        for a in SloAlert.objects.select_for_update().filter(
            slo=slo, resolved_at__isnull=True
        )
    }
    transitions = []
    for condition in conditions:
        key = (condition.severity, condition.long_window)
        alert = open_alerts.get(key)
        if condition.firing and alert is None:
            alert = SloAlert.objects.create(
                slo=slo,
                severity=condition.severity,
                long_window=condition.long_window,
                short_window=condition.short_window,
                factor=condition.factor,
                fired_at=at,
                fired_long_burn=condition.long_burn,
                fired_short_burn=condition.short_burn,
                last_long_burn=condition.long_burn,
                last_short_burn=condition.short_burn,
            )
            transitions.append(AlertTransition(alert, "fired"))
            _notify(alert, "fired")
        elif condition.firing and alert is not None:
            alert.last_long_burn = condition.long_burn
            alert.last_short_burn = condition.short_burn
            alert.save(update_fields=["last_long_burn", "last_short_burn"])
        elif alert is not None and at >= alert.fired_at:
            alert.resolved_at = at
            alert.save(update_fields=["resolved_at"])
            transitions.append(AlertTransition(alert, "resolved"))
            _notify(alert, "resolved")
    return transitions


def _notify(alert: SloAlert, change: str) -> None:
    """Post the transition to the domain's webhook, if it has one, after commit."""
    if AlertWebhook.objects.filter(domain_id=alert.slo.domain_id).exists():
        enqueue_on_commit(
            notify.POST_ALERT_TASK, alert.pk, change, domain_id=alert.slo.domain_id
        )


@transaction.atomic
def alert_webhook_set(
    *, domain: Domain, url: str, actor: AbstractBaseUser | None = None
) -> tuple[AlertWebhook, str]:
    """Point the domain's alert webhook at `url` with a new secret; returns the
    secret (shown once)."""
    secret = notify.new_secret()
    hook, _ = AlertWebhook.objects.update_or_create(
        domain=domain, defaults={"url": url, "secret": secret}
    )
    audit_record(
        actor=actor,
        actor_label="" if actor else "manage.py set_alert_webhook",
        action="slo.alert_webhook.set",
        domain=domain,
        obj=hook,
        after={"url": url},
    )
    return hook, secret


def slos_evaluate(*, at: datetime, batch: int = 500) -> int:
    """Evaluate every SLO's alerts at `at` (the beat task, each minute); returns
    the number of transitions. The windows of a batch of SLOs are summed in a
    few queries (selectors.window_counts); only an SLO with a condition firing
    or an alert open is written to."""
    transitions = 0
    slos = Slo.objects.using("default").order_by("pk")
    last = 0
    while chunk := list(slos.filter(pk__gt=last)[:batch]):
        last = chunk[-1].pk
        counts = window_counts(chunk, at=at)
        with_open = set(
            SloAlert.objects.using("default")
            .filter(slo__in=chunk, resolved_at__isnull=True)
            .values_list("slo_id", flat=True)
        )
        for slo in chunk:
            conditions = maths.alert_conditions_of(
                counts[slo.pk],
                objective=slo.objective,
                slo_window=timedelta(seconds=slo.window_seconds),
                min_events=slo.min_events,
            )
            if slo.pk in with_open or any(c.firing for c in conditions):
                transitions += len(
                    slo_alerts_evaluate(slo=slo, at=at, conditions=conditions)
                )
    return transitions


def sli_points_prune(*, before: datetime, batch: int = 20_000) -> int:
    """Delete SLI points and hourly sums older than `before` (the retention,
    SLI_RETENTION_DAYS), a batch per transaction so the table is never locked
    for long; returns the points deleted."""
    deleted = 0
    for table, column in (("slos_slipoint", "ts"), ("slos_slihour", "hour_end")):
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                # Constant table and column names; the values are parameters.
                cursor.execute(
                    f"DELETE FROM {table} WHERE ctid = ANY(ARRAY("  # noqa: S608  # nosec B608
                    f"SELECT ctid FROM {table} WHERE {column} <= %s LIMIT %s))",
                    [before, batch],
                )
                count = cursor.rowcount
            if table == "slos_slipoint":
                deleted += count
            if count < batch:
                break
    return deleted
