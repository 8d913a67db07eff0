"""python manage.py rebuild_rollups [--domain SLUG…] — rebuild the dashboard's
hourly rollups from the raw CI tables (after a bulk load or a fix to the folding).
Idempotent: the rollup rows of each domain are replaced, never added to."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.board.rollups import rollups_rebuild_all
from dashboard.domains.models import Domain


class Command(BaseCommand):
    help = "Rebuild the dashboard rollups from the raw tables."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--domain", action="append", dest="domains", default=[])

    def handle(self, *args, **options) -> None:
        ids = None
        if options["domains"]:
            found = dict(
                Domain.objects.filter(slug__in=options["domains"]).values_list(
                    "slug", "id"
                )
            )
            missing = sorted(set(options["domains"]) - set(found))
            if missing:
                raise CommandError(f"No such domain: {', '.join(missing)}.")
            ids = list(found.values())
        counts = rollups_rebuild_all(domain_ids=ids)
        self.stdout.write(
            "Rebuilt "
            + ", ".join(f"{n} {name} rollup rows" for name, n in counts.items())
        )
