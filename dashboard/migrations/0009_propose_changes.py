"""A new action, propose_changes (engineers, reviewers and domain admins propose
prompt/model changes), and its guardian rows for the members who already hold
those roles: guardian's rows stay equal to what each role grants."""

from django.db import migrations

from dashboard.platform.migration_ops import grant_action


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0008_incidents_action"),
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
        grant_action(
            "propose_changes",
            "Propose prompt and model changes",
            ("engineer", "reviewer", "admin"),
        ),
    ]
