"""Domains and what hangs off them: services, repositories, members, ingest
tokens, the audit log and permission denials."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from dashboard.domains.policy import Action, Role

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    "Use lowercase letters, digits and hyphens (1–50), not starting or ending "
    "with a hyphen.",
)
repo_validator = RegexValidator(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$",
    "Use GitHub's OWNER/NAME form, for example acme/payments-api.",
)


class Domain(models.Model):
    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        default_permissions = ()
        permissions = [(a.value, a.label) for a in Action]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("dashboard:domain-detail", kwargs={"slug": self.slug})


class Service(models.Model):
    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="services"
    )
    slug = models.SlugField(max_length=50, validators=[slug_validator])
    name = models.CharField(max_length=200)
    # The domain's repositories the service is built from (its deployments and
    # commits, for DORA per service); none linked: those named like the service.
    repositories = models.ManyToManyField(
        "Repository", blank=True, related_name="services"
    )

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "slug"], name="uniq_service_slug")
        ]

    def __str__(self) -> str:
        return f"{self.domain.slug}/{self.slug}"


class Repository(models.Model):
    """A GitHub repository, tied to exactly one domain by its full name."""

    domain = models.ForeignKey(
        Domain, on_delete=models.PROTECT, related_name="repositories"
    )
    full_name = models.CharField(max_length=140, validators=[repo_validator])
    # owner and name are derived from full_name (backfilled by migration 0002).
    owner = models.CharField(max_length=39, blank=True)
    name = models.CharField(max_length=100, blank=True)
    default_branch = models.CharField(max_length=255, default="main")
    pins_path = models.CharField(max_length=255, default="controlplane/pins.yaml")
    migrations_path = models.CharField(max_length=255, default="migrations/")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "repositories"
        constraints = [
            # GitHub names are case-insensitive: Acme/API and acme/api are one repo.
            models.UniqueConstraint(
                models.functions.Lower("full_name"), name="uniq_repository_full_name"
            )
        ]

    def __str__(self) -> str:
        return self.full_name


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    domain = models.ForeignKey(
        Domain, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain__slug", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "domain"], name="uniq_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} in {self.domain}"


class IngestToken(models.Model):
    """A machine credential for one domain. Only a hash of the secret is stored."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Set when an operator minted it (create_ingest_token): not bound to a
    # member's role. Empty: a person minted it, and their current role bounds it
    # (a deleted creator leaves created_by empty and the token grants nothing).
    minted_by_operator = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEntry(models.Model):
    """Append-only: who did what, where, with what before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64)
    domain = models.ForeignKey(
        Domain, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit"
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["domain", "-created_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class PermissionDenial(models.Model):
    """One refused request in detail (who, where, request id): every
    authenticated user's refusal, and a bounded sample of anonymous ones (see
    services.permission_denial_record). The counts are PermissionDenialMinute."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64)
    domain = models.ForeignKey(Domain, null=True, blank=True, on_delete=models.SET_NULL)
    path = models.CharField(max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField()
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status_code} {self.action} {self.path}"


class PermissionDenialMinute(models.Model):
    """How many requests were refused per (domain, action, status, minute): the
    complete count the "permission denials" SLO reads. Counted in Redis on the
    request path and rolled up here by `dashboard.roll_up_permission_denials`
    (or written here directly when Redis is away), so a flood of anonymous
    refusals costs no database write per request."""

    domain = models.ForeignKey(Domain, null=True, blank=True, on_delete=models.CASCADE)
    action = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-minute", "action"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "action", "status_code", "minute"],
                name="uniq_permission_denial_minute",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["minute"], name="denial_minute_idx")]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.status_code} {self.action} ×{self.count}"
