"""The manage_incidents action (incidents app): the permission, and the
guardian rows of the engineers and domain admins who are members already (new
memberships get it from the policy as every other action)."""

from django.db import migrations

GRANTED_TO = ("engineer", "admin")


def grant_to_existing_members(apps, schema_editor):
    Membership = apps.get_model("dashboard", "Membership")
    members = list(
        Membership.objects.filter(role__in=GRANTED_TO).values_list(
            "user_id", "domain_id"
        )
    )
    if not members:
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
    domain_type, _ = ContentType.objects.get_or_create(
        app_label="dashboard", model="domain"
    )
    permission, _ = Permission.objects.get_or_create(
        content_type=domain_type,
        codename="manage_incidents",
        defaults={"name": "Add incident notes, milestones, postmortems and learnings"},
    )
    for user_id, domain_id in members:
        UserObjectPermission.objects.get_or_create(
            permission=permission,
            content_type=domain_type,
            object_pk=str(domain_id),
            user_id=user_id,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0007_permission_denial_minute"),
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
                    ("trigger_scans", "Trigger scans and replays"),
                    ("review_changes", "Approve or reject prompt and model changes"),
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
        migrations.RunPython(grant_to_existing_members, migrations.RunPython.noop),
    ]
