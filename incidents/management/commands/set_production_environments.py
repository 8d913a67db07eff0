"""python manage.py set_production_environments OWNER/NAME ENV [ENV…]

The deployment environments of a repository that count as production for the
DORA keys (default: settings.DORA_PRODUCTION_ENVIRONMENTS)."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains.models import Repository
from incidents.services.dora_facts import production_environments_set


class Command(BaseCommand):
    help = "Name the production environments of a repository (for DORA)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("repository")
        parser.add_argument("environments", nargs="+")

    def handle(self, *args, repository: str, environments: list[str], **options):
        repo = Repository.objects.filter(full_name__iexact=repository).first()
        if repo is None:
            raise CommandError(
                f"No repository {repository!r} (python manage.py map_repository)."
            )
        row = production_environments_set(repository=repo, names=environments)
        self.stdout.write(f"{repo.full_name}: production is {', '.join(row.names)}")
