"""python manage.py create_ingest_token SLUG --scope ci [--scope slo …] [--name N]

Prints what it did, then the token alone on the last line, so scripts can take
it with `| tail -n 1`. The token is shown this once; only its hash is stored.
"""

import getpass

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains import policy, services
from dashboard.domains.models import Domain


class Command(BaseCommand):
    help = "Create an ingest token for a domain; prints the token on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", metavar="SLUG", help="the domain")
        parser.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            required=True,
            choices=[s.value for s in policy.TokenScope],
            help="repeat for several scopes",
        )
        parser.add_argument("--name", default="", help="what uses it, e.g. jenkins")

    def handle(self, *args, slug: str, scopes: list[str], name: str, **options):
        domain = Domain.objects.using("default").filter(slug=slug).first()
        if domain is None:
            raise CommandError(
                f"No domain {slug!r}. Create it first: "
                f'python manage.py create_domain {slug} --name "…"'
            )
        name = name.strip() or "command line"
        if len(name) > 100:
            raise CommandError("--name is longer than 100 characters.")
        # Operator-level: any scope, not bound to a member's role; the audit
        # entry records who ran the command.
        issued = services.ingest_token_create(
            domain=domain, name=name, scopes=scopes, actor=None, operator=_operator()
        )
        self.stdout.write(
            f"Created token {issued.token.prefix} ({name!r}) for domain {slug} "
            f"with scopes {', '.join(issued.token.scopes)}. Store it now: it is "
            "shown only this once. The token:"
        )
        self.stdout.write(issued.plaintext)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "unknown"
