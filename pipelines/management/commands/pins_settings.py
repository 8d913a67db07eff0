"""python manage.py pins_settings [--repository OWNER/NAME --path PATH] [--domain SLUG --approvals N]"""

import getpass

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains.models import Domain, Repository
from pipelines.pins.services import settings as pins_settings
from pipelines.pins.services.reading import pins_path_of
from pipelines.pins.services.reviews import required_approvals_of


class Command(BaseCommand):
    help = (
        "Show or set where a repository keeps its pins file (default "
        ".controlplane/pins.yaml) and how many approvals a domain's pin changes need."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repository", metavar="OWNER/NAME")
        parser.add_argument("--path", help="the pins file's path in the repository")
        parser.add_argument("--domain", metavar="SLUG")
        parser.add_argument("--approvals", type=int, help="approvals required (1–10)")

    def handle(self, *args, repository, path, domain, approvals, **options):
        if not repository and not domain:
            raise CommandError(
                "Name a --repository (with --path) or a --domain (with --approvals)."
            )
        label = f"operator {getpass.getuser()}"
        try:
            if repository:
                repo = Repository.objects.filter(full_name__iexact=repository).first()
                if repo is None:
                    raise CommandError(f"No repository {repository!r}; map it first.")
                if path:
                    pins_settings.pins_path_set(
                        repository=repo, path=path, actor_label=label
                    )
                self.stdout.write(f"{repo.full_name}: pins file {pins_path_of(repo)}")
            if domain:
                found = Domain.objects.filter(slug=domain).first()
                if found is None:
                    raise CommandError(f"No domain {domain!r}.")
                if approvals is not None:
                    pins_settings.required_approvals_set(
                        domain=found, approvals=approvals, actor_label=label
                    )
                self.stdout.write(
                    f"{found.slug}: {required_approvals_of(found.pk)} approval(s) required"
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
