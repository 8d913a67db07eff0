"""SLOs of a domain and the SLI points fed to them."""

from django.db import models

from dashboard.domains.models import Domain


class Budgeting(models.TextChoices):
    OCCURRENCES = "occurrences", "Occurrences"
    TIMESLICES = "timeslices", "Timeslices"
    RATIO_TIMESLICES = "ratio_timeslices", "Ratio timeslices"


class Slo(models.Model):
    """One objective of a domain's service, as imported from a definition file
    (or entered by a domain admin). The queries it names are kept for display."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=150)
    display_name = models.CharField(max_length=200, blank=True)
    service = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    objective = models.FloatField()  # in (0, 1)
    window_seconds = models.PositiveIntegerField()
    rolling = models.BooleanField(default=True)
    budgeting = models.CharField(
        max_length=20, choices=Budgeting.choices, default=Budgeting.OCCURRENCES
    )
    slice_target = models.FloatField(null=True, blank=True)
    slice_window_seconds = models.PositiveIntegerField(null=True, blank=True)
    indicator = models.JSONField(default=dict)
    alerting = models.JSONField(default=dict, blank=True)
    # Alerts stay quiet while their long window holds fewer events than this.
    min_events = models.PositiveIntegerField(default=100)
    source_format = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain", "name"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "name"], name="uniq_slo_name"),
            models.CheckConstraint(
                condition=models.Q(objective__gt=0, objective__lt=1),
                name="slo_objective_in_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain_id}:{self.name} ({self.objective:.4%})"


class SliPoint(models.Model):
    """Good and total events of one interval ending at `ts`; one per (slo, ts,
    pin_id, pin_version): a repeat replaces it.

    A point may be tagged with the model or prompt pin (and its version) that
    served the events, so a rollout's stable and candidate versions each report
    their own counts for the same interval. The SLO counts every point: the
    tags only split them ("" = not tagged; "" rather than NULL because NULLs
    never collide in a unique index, and a repeat must replace)."""

    # The unique (slo, ts, …) index serves every read by SLO; no second index.
    slo = models.ForeignKey(
        Slo, on_delete=models.CASCADE, related_name="points", db_index=False
    )
    ts = models.DateTimeField()
    good = models.BigIntegerField()
    total = models.BigIntegerField()
    pin_id = models.CharField(max_length=100, blank=True, default="", db_default="")
    pin_version = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["slo", "ts", "pin_id", "pin_version"], name="uniq_sli_point"
            ),
            models.CheckConstraint(
                condition=models.Q(good__gte=0, total__gte=models.F("good")),
                name="sli_point_counts",
            ),
        ]
        indexes = [
            # A pin's points during its rollout (pipelines/pins/split.py); only
            # tagged points are in it, so untagged writes pay nothing.
            models.Index(
                fields=["pin_id", "ts"],
                condition=~models.Q(pin_id=""),
                name="sli_point_pin_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.slo_id}@{self.ts:%Y-%m-%d %H:%M}: {self.good}/{self.total}"


class SliHour(models.Model):
    """The SLI points of one SLO summed per hour: the hour (hour_end − 1 h,
    hour_end], the same half-open convention as every window. Kept by
    `sli_points_record` in the transaction that writes the points, so a window of
    whole hours reads one row per hour instead of one per point (docs/slos.md,
    "Storage")."""

    slo = models.ForeignKey(
        Slo, on_delete=models.CASCADE, related_name="hours", db_index=False
    )
    hour_end = models.DateTimeField()
    good = models.BigIntegerField()
    total = models.BigIntegerField()

    class Meta:
        constraints = [
            # Covering: a window's whole hours are read from the index alone.
            models.UniqueConstraint(
                fields=["slo", "hour_end"],
                include=["good", "total"],
                name="uniq_sli_hour",
            )
        ]

    def __str__(self) -> str:
        return f"{self.slo_id}@{self.hour_end:%Y-%m-%d %H:%M}: {self.good}/{self.total}"


class SloAlert(models.Model):
    """One firing of an alert condition: open while `resolved_at` is empty. At
    most one open alert per (slo, severity, long window); the burn rates that
    made it fire are kept, and the last ones seen while it fired."""

    slo = models.ForeignKey(Slo, on_delete=models.CASCADE, related_name="alerts")
    severity = models.CharField(max_length=10)  # page | ticket
    long_window = models.CharField(max_length=5)
    short_window = models.CharField(max_length=5)
    factor = models.FloatField()
    fired_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    fired_long_burn = models.FloatField()
    fired_short_burn = models.FloatField()
    last_long_burn = models.FloatField(null=True, blank=True)
    last_short_burn = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slo", "severity", "long_window"],
                condition=models.Q(resolved_at__isnull=True),
                name="uniq_open_slo_alert",
            )
        ]

    def __str__(self) -> str:
        state = "resolved" if self.resolved_at else "firing"
        return f"{self.slo_id} {self.severity} {self.long_window}/{self.short_window} {state}"


class AlertWebhook(models.Model):
    """Where a domain's SLO alert transitions are POSTed (Slack, PagerDuty, any
    HTTP receiver), signed like GitHub's webhooks: X-ControlPlane-Signature-256 =
    sha256= + HMAC-SHA256 of the raw body with `secret`. The secret has to be
    readable to sign with, so unlike ingest tokens it is stored as it is; it is
    shown once when set and never on a page."""

    domain = models.OneToOneField(
        Domain, on_delete=models.CASCADE, related_name="slo_alert_webhook"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.domain_id} → {self.url}"
