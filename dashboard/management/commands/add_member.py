"""python manage.py add_member USERNAME SLUG --role ROLE"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dashboard.domains import policy, services
from dashboard.domains.models import Domain


class Command(BaseCommand):
    help = "Give a user a role in a domain, or change it (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("slug", metavar="SLUG", help="the domain")
        parser.add_argument(
            "--role", required=True, choices=[r.value for r in policy.Role]
        )

    def handle(self, *args, username: str, slug: str, role: str, **options) -> None:
        User = get_user_model()
        user = User.objects.using("default").filter(username=username).first()
        if user is None:
            raise CommandError(
                f"No user {username!r}. Create the account first "
                "(python manage.py createsuperuser, or the admin at /admin/)."
            )
        domain = Domain.objects.using("default").filter(slug=slug).first()
        if domain is None:
            raise CommandError(
                f"No domain {slug!r}. Create it first: "
                f'python manage.py create_domain {slug} --name "…"'
            )
        previous = domain.memberships.using("default").filter(user=user).first()
        outcome = services.membership_set(user=user, domain=domain, role=role)
        label = policy.Role(role).label
        if outcome.status == "created":
            message = f"Added {username} to domain {slug} as {label}."
        elif outcome.status == "updated":
            message = (
                f"Changed {username}'s role in domain {slug} from "
                f"{policy.Role(previous.role).label} to {label}."
            )
        else:
            message = (
                f"{username} is already {label} in domain {slug}; nothing changed."
            )
        self.stdout.write(self.style.SUCCESS(message))
