"""python manage.py map_repository OWNER/NAME SLUG [--default-branch B] [--move]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dashboard.domains import services
from dashboard.domains.models import Domain, repo_validator


class Command(BaseCommand):
    help = (
        "Tie a GitHub repository to a domain (idempotent). A repository belongs to "
        "exactly one domain; --move moves it from the domain it is mapped to."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("full_name", metavar="OWNER/NAME")
        parser.add_argument("slug", metavar="SLUG", help="the domain")
        parser.add_argument("--default-branch", default="main")
        parser.add_argument(
            "--move",
            action="store_true",
            help="move the repository if it is mapped to another domain",
        )

    def handle(
        self,
        *args,
        full_name: str,
        slug: str,
        default_branch: str,
        move: bool,
        **options,
    ) -> None:
        try:
            repo_validator(full_name)
        except ValidationError as exc:
            raise CommandError(f"{full_name!r}: {exc.messages[0]}")
        domain = Domain.objects.using("default").filter(slug=slug).first()
        if domain is None:
            raise CommandError(
                f"No domain {slug!r}. Create it first: "
                f'python manage.py create_domain {slug} --name "…"'
            )
        try:
            outcome = services.repository_map(
                full_name=full_name,
                domain=domain,
                default_branch=default_branch,
                move=move,
            )
        except services.RepositoryConflict as exc:
            raise CommandError(str(exc))
        repo = outcome.obj
        messages = {
            "created": f"Mapped {repo.full_name} to domain {slug}.",
            "updated": f"Moved {repo.full_name} to domain {slug}.",
            "unchanged": f"{repo.full_name} is already mapped to domain {slug}; "
            "nothing changed.",
        }
        self.stdout.write(self.style.SUCCESS(messages[outcome.status]))
