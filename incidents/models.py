"""Incidents and what hangs off them: their timeline and milestones, the
monitor deliveries they came from (the outbox), source mappings, postmortems
with action items, learnings that become draft proposals, and the deployment
and commit facts the DORA keys are computed from."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from dashboard.domains.models import Domain, Repository, Service
from dashboard.platform.models import OutboxRow, OutboxState


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 (critical)"
    SEV2 = "SEV2", "SEV2 (high)"
    SEV3 = "SEV3", "SEV3 (medium)"
    SEV4 = "SEV4", "SEV4 (low)"
    SEV5 = "SEV5", "SEV5 (informational)"


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    MITIGATED = "mitigated", "Mitigated"
    RESOLVED = "resolved", "Resolved"


# An incident only moves forward along this order (services.incident_upsert).
STATUS_RANK: dict[str, int] = {
    IncidentStatus.TRIGGERED: 0,
    IncidentStatus.ACKNOWLEDGED: 1,
    IncidentStatus.MITIGATED: 2,
    IncidentStatus.RESOLVED: 3,
}

# The milestone each status stands for: reaching the status sets the time.
STATUS_MILESTONE: dict[str, str] = {
    IncidentStatus.ACKNOWLEDGED: "acknowledged_at",
    IncidentStatus.MITIGATED: "mitigated_at",
    IncidentStatus.RESOLVED: "resolved_at",
}
MILESTONE_FIELDS = (
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
)


class Source(models.TextChoices):
    API = "api", "Generic API"
    PAGERDUTY = "pagerduty", "PagerDuty"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    OPSGENIE = "opsgenie", "Opsgenie"
    STATUSPAGE = "statuspage", "Atlassian Statuspage"
    MANUAL = "manual", "Reported on the page"


MONITOR_SOURCES = (
    Source.PAGERDUTY,
    Source.ALERTMANAGER,
    Source.OPSGENIE,
    Source.STATUSPAGE,
)


class Incident(models.Model):
    """One incident of a domain, unique by (domain, source, external_id). The
    source is a monitor's name (Source) or what an API client calls itself."""

    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="incidents"
    )
    source = models.CharField(max_length=40)
    # A client's value (the API) or the monitor's id; up to 200 characters.
    external_id = models.CharField(max_length=200)
    title = models.CharField(max_length=500)
    severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV3
    )
    status = models.CharField(
        max_length=16,
        choices=IncidentStatus.choices,
        default=IncidentStatus.TRIGGERED,
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The service as the source named it, kept when it matches nothing here.
    service_label = models.CharField(max_length=200, blank=True)
    deployment = models.ForeignKey(
        "pipelines.Deployment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    commander = models.CharField(max_length=200, blank=True)
    # The source's own time of the report applied last: the tie-breaker.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    # The source's time of the latest explicit move back (PagerDuty's
    # incident.reopened / incident.unacknowledged): reports older than it
    # never move the status, and never fill the times it cleared.
    moved_back_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "source", "external_id"],
                name="uniq_incident_identity",
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "-started_at", "-id"], name="incident_domain_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.title[:60]} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse(
            "incidents:incident-detail",
            kwargs={"slug": self.domain.slug, "pk": self.pk},
        )

    @property
    def rank(self) -> int:
        return STATUS_RANK[self.status]

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED


class TimelineKind(models.TextChoices):
    OPENED = "opened", "Opened"
    STATUS = "status", "Status changed"
    CHANGED = "changed", "Changed"
    MILESTONE = "milestone", "Milestone"
    NOTE = "note", "Note"
    IGNORED = "ignored", "Report not applied"


class TimelineEntry(models.Model):
    """Every change of an incident: what, when, by whom, from which delivery."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=TimelineKind.choices)
    actor = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    delivery = models.ForeignKey(
        "incidents.MonitorDelivery",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The source's id of a note or update, so a redelivery adds it once.
    source_entry_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="timeline_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source_entry_id"],
                condition=~models.Q(source_entry_id=""),
                name="uniq_timeline_source_entry",
            )
        ]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.text[:40]}"


class Milestone(models.Model):
    """A named moment of an incident an engineer marks (root cause found, fix
    deployed…); the standard ones (detected…resolved) are the incident's own
    times."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="milestones"
    )
    name = models.CharField(max_length=200)
    at = models.DateTimeField()
    author = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M}"


class SourceMapping(models.Model):
    """Routes a monitor's service or integration (`key`) to a domain, made with
    `python manage.py map_incident_source SOURCE KEY DOMAIN`."""

    source = models.CharField(max_length=20, choices=Source.choices)
    key = models.CharField(max_length=200)
    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="incident_sources"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "key"], name="uniq_incident_source_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.key} → {self.domain_id}"


class MonitorDelivery(OutboxRow):
    """One monitor webhook delivery, unique by (source, delivery_id): the raw
    body is kept byte for byte, so a replay processes exactly what was sent."""

    outbox_task_name = "incidents.process_monitor_delivery"

    source = models.CharField(max_length=20, choices=Source.choices)
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=100, blank=True)
    # The service or integration the payload names (what a mapping matches).
    source_key = models.CharField(max_length=200, blank=True)
    domain = models.ForeignKey(
        Domain,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitor_deliveries",
    )
    body = models.BinaryField()
    body_size = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    replay_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "monitor deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="uniq_monitor_delivery"
            )
        ]
        indexes = [
            models.Index(
                fields=["domain", "-received_at", "-id"],
                name="monitor_delivery_domain_idx",
            ),
            models.Index(
                fields=["enqueued_at"],
                condition=models.Q(
                    state__in=[OutboxState.PENDING, OutboxState.PROCESSING]
                ),
                name="monitor_delivery_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event or '-'} {self.delivery_id}"

    @property
    def can_replay(self) -> bool:
        return self.state in (OutboxState.FAILED, OutboxState.IGNORED)


# --- Postmortems -------------------------------------------------------------------
POSTMORTEM_SECTIONS = (
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("trigger", "Trigger"),
    ("detection", "Detection"),
    ("went_well", "What went well"),
    ("went_badly", "What went badly"),
)


class Postmortem(models.Model):
    """One per incident, from the template's sections."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="postmortem"
    )
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    root_cause = models.TextField(blank=True)
    trigger = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    went_badly = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Postmortem of {self.incident_id}"


class ActionItemState(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


ACTION_ITEM_OPEN_STATES = (ActionItemState.OPEN, ActionItemState.IN_PROGRESS)


class ActionItem(models.Model):
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    # Denormalised so the domain page lists open items with one indexed query.
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    owner = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=ActionItemState.choices, default=ActionItemState.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["domain", "due_on"],
                condition=models.Q(state__in=["open", "in_progress"]),
                name="action_item_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title[:60]} ({self.state})"


class LearningKind(models.TextChoices):
    GENERATOR = "generator", "Change the generator"
    PIN = "pin", "Change a prompt/model pin"


class DraftProposal(models.Model):
    """A learning of an incident marked as a change to ask for. Proposing it
    opens a draft proposal in the pins review flow (`pin_proposal`), where a
    reviewer sees the incident it came from."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="proposals"
    )
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=LearningKind.choices)
    title = models.CharField(max_length=300)
    rationale = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    state = models.CharField(max_length=16, default="draft")
    # The draft in the pins review flow (pipelines.pins) this learning opened.
    pin_proposal = models.OneToOneField(
        "pipelines.Proposal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incident_learning",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["domain", "-created_at"], name="draft_domain_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title[:60]}"


# --- What the DORA keys are computed from --------------------------------------------
class DeploymentOutcome(models.Model):
    """When a GitHub deployment first reported success and first reported
    failure or error. Kept apart from the deployment's latest state because
    GitHub turns a successful deployment `inactive` once the next one succeeds."""

    deployment = models.OneToOneField(
        "pipelines.Deployment", on_delete=models.CASCADE, related_name="outcome"
    )
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["domain", "succeeded_at"], name="outcome_success_idx")
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id}: ok {self.succeeded_at} failed {self.failed_at}"


class CommitSeen(models.Model):
    """A commit named by a push (or a deployment), with its own time."""

    repository = models.ForeignKey(
        Repository, on_delete=models.CASCADE, related_name="+"
    )
    sha = models.CharField(max_length=64)
    committed_at = models.DateTimeField()
    pushed_at = models.DateTimeField()
    ref = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["repository", "sha"], name="uniq_commit")
        ]
        indexes = [
            models.Index(fields=["repository", "pushed_at"], name="commit_pushed_idx")
        ]

    def __str__(self) -> str:
        return f"{self.sha[:7]} @ {self.committed_at:%Y-%m-%d %H:%M}"


class ProductionEnvironments(models.Model):
    """The environments of a repository that count as production for DORA;
    without a row, settings.DORA_PRODUCTION_ENVIRONMENTS."""

    repository = models.OneToOneField(
        Repository, on_delete=models.CASCADE, related_name="production_environments"
    )
    names = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.repository_id}: {', '.join(self.names)}"


class DoraBand(models.TextChoices):
    ELITE = "elite", "Elite"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class DoraSummary(models.Model):
    """A domain's four DORA keys over the last 30 days, as incidents/dora.py
    computes them, stored by `dora_summaries_refresh` (the beat, and a touch
    when a deployment or incident of the domain changes) so the overview reads
    every domain's keys in one query. A band is blank where its key has no
    value (no deployments, no restored incident)."""

    domain = models.OneToOneField(
        Domain, on_delete=models.CASCADE, related_name="dora_summary"
    )
    window_start = models.DateTimeField()
    # Also the window's end.
    computed_at = models.DateTimeField()
    deployments = models.PositiveIntegerField(default=0)
    # None: no production deployment known in the window or the 90 days before.
    deployments_per_day = models.FloatField(null=True, blank=True)
    deployment_frequency_band = models.CharField(
        max_length=8, choices=DoraBand.choices, blank=True
    )
    lead_time_seconds = models.FloatField(null=True, blank=True)
    lead_time_band = models.CharField(
        max_length=8, choices=DoraBand.choices, blank=True
    )
    lead_time_commits = models.PositiveIntegerField(default=0)
    production_deployments = models.PositiveIntegerField(default=0)
    failed_deployments = models.PositiveIntegerField(default=0)
    change_failure_rate = models.FloatField(null=True, blank=True)
    change_failure_rate_band = models.CharField(
        max_length=8, choices=DoraBand.choices, blank=True
    )
    time_to_restore_seconds = models.FloatField(null=True, blank=True)
    time_to_restore_band = models.CharField(
        max_length=8, choices=DoraBand.choices, blank=True
    )
    restored_incidents = models.PositiveIntegerField(default=0)
    mean_time_to_acknowledge_seconds = models.FloatField(null=True, blank=True)
    # The worst band among the keys that have one; blank when none has.
    overall_band = models.CharField(max_length=8, choices=DoraBand.choices, blank=True)

    class Meta:
        verbose_name_plural = "DORA summaries"

    def __str__(self) -> str:
        return (
            f"{self.domain_id}: {self.overall_band or 'no data'} @ {self.computed_at}"
        )
