"""python manage.py add_schema_target NAME --domain SLUG --dsn-env VAR [--schema public]
[--allow-destructive] [--migrations-folder PATH --repository OWNER/NAME]"""

import os

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains.models import Domain
from pipelines.drift.models import DriftRepositorySettings
from pipelines.drift.services import documents


class Command(BaseCommand):
    help = (
        "Register a schema target: a live PostgreSQL schema the domain's entity "
        "graphs are compared with (idempotent: run again to change it). Only the "
        "NAME of the environment variable holding the DSN is stored; the workers "
        "read it from their environment. Without --dsn-env the live schema comes "
        "from posted snapshots."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", metavar="NAME")
        parser.add_argument("--domain", required=True, metavar="SLUG")
        parser.add_argument("--dsn-env", default="", metavar="VAR")
        parser.add_argument("--schema", default="public")
        parser.add_argument(
            "--allow-destructive",
            action="store_true",
            help="let migrations drop tables/columns (else written commented out)",
        )
        parser.add_argument(
            "--repository",
            default="",
            metavar="OWNER/NAME",
            help="with --migrations-folder: where that repository wants the files",
        )
        parser.add_argument("--migrations-folder", default="")

    def handle(
        self,
        *args,
        name,
        domain,
        dsn_env,
        schema,
        allow_destructive,
        repository,
        migrations_folder,
        **options,
    ) -> None:
        found = Domain.objects.using("default").filter(slug=domain).first()
        if found is None:
            raise CommandError(f"No domain {domain!r}.")
        try:
            target = documents.schema_target_add(
                domain=found,
                name=name,
                dsn_env=dsn_env,
                schema_name=schema,
                allow_destructive=allow_destructive,
                actor_label="manage.py add_schema_target",
            )
        except documents.TargetInvalid as exc:
            raise CommandError(str(exc))
        if migrations_folder:
            repo = found.repositories.filter(full_name__iexact=repository).first()
            if repo is None:
                raise CommandError(
                    f"--migrations-folder needs --repository, mapped to {domain!r}."
                )
            DriftRepositorySettings.objects.update_or_create(
                repository=repo,
                defaults={"migrations_folder": migrations_folder.strip("/")},
            )
        self.stdout.write(
            f"Schema target {target.name} in {found.slug} (schema {schema})."
        )
        if dsn_env and not os.environ.get(dsn_env):
            self.stdout.write(
                f"Note: {dsn_env} is not set here; set it where the workers run."
            )
