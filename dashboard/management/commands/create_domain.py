"""python manage.py create_domain SLUG --name "…" [--description "…"]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dashboard.domains import services
from dashboard.domains.models import slug_validator


class Command(BaseCommand):
    help = "Create a domain, or update its name and description (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="short identifier, e.g. payments")
        parser.add_argument(
            "--name", required=True, help='display name, e.g. "Payments"'
        )
        parser.add_argument("--description", default="", help="one line on its scope")

    def handle(self, *args, slug: str, name: str, description: str, **options) -> None:
        try:
            slug_validator(slug)
        except ValidationError as exc:
            raise CommandError(
                f"{slug!r} is not a valid domain slug. {exc.messages[0]}"
            )
        name = name.strip()
        if not name:
            raise CommandError("--name must not be empty.")
        if len(name) > 200:
            raise CommandError("--name is longer than 200 characters.")
        outcome = services.domain_create(slug=slug, name=name, description=description)
        messages = {
            "created": f"Created domain {slug} ({name}).",
            "updated": f"Updated domain {slug}: name is now {name!r}.",
            "unchanged": f"Domain {slug} already exists as {name!r}; nothing changed.",
        }
        self.stdout.write(self.style.SUCCESS(messages[outcome.status]))
