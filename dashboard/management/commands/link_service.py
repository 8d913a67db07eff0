"""python manage.py link_service SLUG SERVICE OWNER/NAME… | --unlink"""

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains import services
from dashboard.domains.models import Repository, Service


class Command(BaseCommand):
    help = (
        "Link a service of a domain to the repositories it is built from "
        "(replacing its links; idempotent). DORA per service counts their "
        "deployments; a service without links counts the repositories named "
        "like it. --unlink removes every link."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", metavar="SLUG", help="the domain")
        parser.add_argument("service", metavar="SERVICE", help="the service's slug")
        parser.add_argument("repositories", metavar="OWNER/NAME", nargs="*")
        parser.add_argument(
            "--unlink", action="store_true", help="remove every link of the service"
        )

    def handle(
        self, *args, slug: str, service: str, repositories: list[str], unlink: bool, **_
    ) -> None:
        if bool(repositories) == unlink:
            raise CommandError(
                "Name the repositories to link (OWNER/NAME …), or give --unlink "
                "alone to remove every link."
            )
        found = (
            Service.objects.using("default")
            .select_related("domain")
            .filter(domain__slug=slug, slug__iexact=service)
            .first()
        )
        if found is None:
            raise CommandError(
                f"No service {service[:50]!r} in domain {slug[:50]!r}; the domain's "
                "services are listed on its admin page."
            )
        repos = []
        for full_name in repositories:
            repo = (
                Repository.objects.using("default")
                .filter(full_name__iexact=full_name)
                .first()
            )
            if repo is None:
                raise CommandError(
                    f"No repository {full_name[:140]!r}. Map it first: "
                    f"python manage.py map_repository {full_name[:140]} {slug}"
                )
            repos.append(repo)
        try:
            outcome = services.service_repositories_set(
                service=found, repositories=repos
            )
        except services.ServiceRepositoryConflict as exc:
            raise CommandError(str(exc))
        names = ", ".join(sorted(r.full_name for r in repos)) or "no repository"
        if outcome.changed:
            self.stdout.write(self.style.SUCCESS(f"{found}: linked to {names}."))
        else:
            self.stdout.write(f"{found} is already linked to {names}; nothing changed.")
