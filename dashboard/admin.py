"""The Django admin for staff: domains and what hangs off them.

Memberships are saved through services.membership_set/membership_remove so that
guardian's rows and the audit log stay in step. Tokens never show their hash and
are created only on the domain page or by create_ingest_token (shown once there).
Audit entries and permission denials are read-only: append-only by design.
"""

from django.contrib import admin
from django.http import HttpRequest

from dashboard.domains import services
from dashboard.domains.models import (
    AuditEntry,
    Domain,
    IngestToken,
    Membership,
    PermissionDenial,
    PermissionDenialMinute,
    Repository,
    Service,
)
from dashboard.platform.models import DeadLetter


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "domain")
    list_filter = ("domain",)
    search_fields = ("slug", "name")
    list_select_related = ("domain",)


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("full_name", "domain", "default_branch")
    list_filter = ("domain",)
    search_fields = ("full_name",)
    list_select_related = ("domain",)
    readonly_fields = ("owner", "name")

    def save_model(self, request, obj, form, change) -> None:
        obj.owner, _, obj.name = obj.full_name.partition("/")
        super().save_model(request, obj, form, change)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "domain", "role", "updated_at")
    list_filter = ("role", "domain")
    search_fields = ("user__username", "domain__slug")
    list_select_related = ("user", "domain")
    autocomplete_fields = ("domain",)
    raw_id_fields = ("user",)
    actions = None  # bulk delete would skip the service (and guardian's rows)

    def save_model(self, request, obj, form, change) -> None:
        if change and {"user", "domain"} & set(form.changed_data):
            # Moving a membership to another user or domain: drop the old one.
            old = Membership.objects.get(pk=obj.pk)
            services.membership_remove(membership=old, actor=request.user)
        outcome = services.membership_set(
            user=obj.user, domain=obj.domain, role=obj.role, actor=request.user
        )
        obj.pk = outcome.obj.pk

    def delete_model(self, request, obj) -> None:
        services.membership_remove(membership=obj, actor=request.user)


@admin.register(IngestToken)
class IngestTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "domain", "scopes", "last_used_at", "revoked_at")
    list_filter = ("domain",)
    search_fields = ("prefix", "name")
    list_select_related = ("domain",)
    fields = (
        "domain",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        for token in queryset.select_related("domain"):
            services.ingest_token_revoke(token=token, actor=request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "domain", "object_repr")
    list_filter = ("action", "domain")
    search_fields = ("actor_label", "object_repr", "request_id")
    list_select_related = ("domain",)


@admin.register(PermissionDenial)
class PermissionDenialAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "status_code", "action", "domain", "user", "path")
    list_filter = ("status_code", "action", "domain")
    search_fields = ("path", "request_id")
    list_select_related = ("domain", "user")


@admin.register(PermissionDenialMinute)
class PermissionDenialMinuteAdmin(ReadOnlyAdmin):
    list_display = ("minute", "status_code", "action", "domain", "count")
    list_filter = ("status_code", "action")
    list_select_related = ("domain",)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("failed_at", "task_name", "domain", "attempts", "replayed_at")
    list_filter = ("task_name", "domain")
    search_fields = ("task_name", "task_id", "request_id", "error")
    list_select_related = ("domain",)
