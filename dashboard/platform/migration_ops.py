"""Migration operations for big tables: indexes built CONCURRENTLY on
PostgreSQL (writes go on meanwhile), plainly elsewhere (the SQLite of a bare
`make run`). A migration using them sets `atomic = False`."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models, transaction
from django.db.migrations.operations.base import Operation


def _on_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain CREATE INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            return super().database_forwards(
                app_label, schema_editor, from_state, to_state
            )
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            return super().database_backwards(
                app_label, schema_editor, from_state, to_state
            )
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class ReplaceUniqueConcurrently(Operation):
    """Swap a unique constraint for another (e.g. one more column in the key).
    On PostgreSQL the new unique index is built CONCURRENTLY, then one short
    ALTER TABLE drops the old constraint and adopts the index as the new one,
    so the table always has a unique index for ON CONFLICT and writers are
    never blocked for the build. Elsewhere: drop, then add."""

    reversible = True
    atomic = False

    def __init__(
        self,
        model_name: str,
        old: models.UniqueConstraint,
        new: models.UniqueConstraint,
    ):
        self.model_name = model_name
        self.old = old
        self.new = new

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "old": self.old, "new": self.new},
        )

    def state_forwards(self, app_label, state):
        state.remove_constraint(app_label, self.model_name.lower(), self.old.name)
        state.add_constraint(app_label, self.model_name.lower(), self.new)

    def _swap(self, app_label, schema_editor, from_state, to_state, old, new):
        from_model = from_state.apps.get_model(app_label, self.model_name)
        to_model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, to_model):
            return
        if not _on_postgres(schema_editor):
            schema_editor.remove_constraint(from_model, old)
            schema_editor.add_constraint(to_model, new)
            return
        quote = schema_editor.quote_name
        table = quote(to_model._meta.db_table)
        columns = ", ".join(
            quote(to_model._meta.get_field(name).column) for name in new.fields
        )
        building = quote(f"{new.name}_build"[:63])
        # A build interrupted earlier leaves an invalid index behind.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {building}")
        schema_editor.execute(
            f"CREATE UNIQUE INDEX CONCURRENTLY {building} ON {table} ({columns})"
        )
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(
                f"ALTER TABLE {table} DROP CONSTRAINT {quote(old.name)}"
            )
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(new.name)} "
                f"UNIQUE USING INDEX {building}"
            )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._swap(app_label, schema_editor, from_state, to_state, self.old, self.new)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._swap(app_label, schema_editor, from_state, to_state, self.new, self.old)

    def describe(self):
        return f"Replace unique constraint {self.old.name} on {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"replace_{self.old.name}"


def grant_action(
    codename: str, name: str, roles: tuple[str, ...], *, revocable: bool = True
) -> migrations.RunPython:
    """A new domain action's guardian rows for the members who already hold
    `roles` (new memberships get it from the policy, as every other action):
    guardian's rows stay equal to what each role grants. Reversed, the rows go
    (unless `revocable` is False: the migrations that never removed them)."""

    def grant(apps, schema_editor) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        Permission = apps.get_model("auth", "Permission")
        Membership = apps.get_model("dashboard", "Membership")
        UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
        content_type, _ = ContentType.objects.get_or_create(
            app_label="dashboard", model="domain"
        )
        permission, _ = Permission.objects.get_or_create(
            codename=codename, content_type=content_type, defaults={"name": name}
        )
        for membership in Membership.objects.filter(role__in=roles).iterator():
            UserObjectPermission.objects.get_or_create(
                permission=permission,
                content_type=content_type,
                object_pk=str(membership.domain_id),
                user_id=membership.user_id,
            )

    def revoke(apps, schema_editor) -> None:
        UserObjectPermission = apps.get_model("guardian", "UserObjectPermission")
        UserObjectPermission.objects.filter(
            permission__codename=codename, content_type__app_label="dashboard"
        ).delete()

    return migrations.RunPython(
        grant, revoke if revocable else migrations.RunPython.noop
    )


def compress_with(
    model_name: str, field_name: str, method: str, *, app_label: str
) -> migrations.RunPython:
    """How PostgreSQL compresses the column's large values from now on
    (`ALTER TABLE … SET COMPRESSION`, PostgreSQL 14+: metadata only, no
    rewrite; stored values keep theirs and stay readable). Reversed: pglz,
    PostgreSQL's default. Nothing elsewhere, nor on a server built without
    `method`."""

    def set_to(chosen: str):
        def run(apps, schema_editor) -> None:
            if not _on_postgres(schema_editor):
                return
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT %s = ANY(enumvals) FROM pg_settings "
                    "WHERE name = 'default_toast_compression'",
                    [chosen],
                )
                row = cursor.fetchone()
            if not (row and row[0]):
                return
            model = apps.get_model(app_label, model_name)
            quote = schema_editor.quote_name
            schema_editor.execute(
                f"ALTER TABLE {quote(model._meta.db_table)} ALTER COLUMN "
                f"{quote(model._meta.get_field(field_name).column)} "
                f"SET COMPRESSION {chosen}"
            )

        return run

    return migrations.RunPython(set_to(method), set_to("pglz"))
