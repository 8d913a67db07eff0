"""A new action, manage_settings (domain admins only: the domain's settings page,
mapping repositories, the webhook setup), and its guardian rows for the domain
admins who are members already: guardian's rows stay equal to what each role
grants. Engineers, who reached the page through manage_ci, no longer do."""

from django.db import migrations

ROLES = ("admin",)
CODENAME = "manage_settings"


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model("dashboard", "Membership")
    UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(
        app_label="dashboard", model="domain"
    )
    permission, _ = Permission.objects.get_or_create(
        codename=CODENAME,
        content_type=content_type,
        defaults={"name": "Change the domain's settings (repositories, webhook setup)"},
    )
    for membership in Membership.objects.filter(role__in=ROLES).iterator():
        UserObjectPermission.objects.get_or_create(
            permission=permission,
            content_type=content_type,
            object_pk=str(membership.domain_id),
            user_id=membership.user_id,
        )


def revoke(apps, schema_editor):
    UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
    UserObjectPermission.objects.filter(
        permission__codename=CODENAME, content_type__app_label="dashboard"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0009_propose_changes"),
        ("guardian", "0002_generic_permissions_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="domain",
            options={
                "default_permissions": (),
                "ordering": ["slug"],
                "permissions": [
                    ("browse_domain", "Browse the domain's pages"),
                    ("manage_tokens", "Create and revoke ingest tokens"),
                    ("manage_ci", "Change CI settings"),
                    (
                        "manage_settings",
                        "Change the domain's settings (repositories, webhook setup)",
                    ),
                    ("trigger_scans", "Trigger scans and replays"),
                    ("review_changes", "Approve or reject prompt and model changes"),
                    ("propose_changes", "Propose prompt and model changes"),
                    ("manage_slos", "Define and change SLOs"),
                    ("manage_budgets", "Change performance and query-plan budgets"),
                    ("manage_members", "Add, remove and change members"),
                    ("view_audit", "Read the domain's audit log"),
                    (
                        "manage_incidents",
                        "Add incident notes, milestones, postmortems and learnings",
                    ),
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
