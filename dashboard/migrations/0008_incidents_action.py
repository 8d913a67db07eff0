"""The manage_incidents action (incidents app): the permission, and the
guardian rows of the engineers and domain admins who are members already (new
memberships get it from the policy as every other action)."""

from django.db import migrations

from dashboard.platform.migration_ops import grant_action


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
        grant_action(
            "manage_incidents",
            "Add incident notes, milestones, postmortems and learnings",
            ("engineer", "admin"),
            revocable=False,
        ),
    ]
