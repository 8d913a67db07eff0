"""python manage.py warm_caches — fill the dashboard panel caches after a deploy.

Requests each domain's dashboard and panels as a staff user would (Django's test
client through the whole middleware stack), for the default range or --range.
Run it after `migrate` in a deploy: the migration hash in the cache keys changed,
so every panel is cold until someone (this) asks for it.
"""

from django.core.management.base import BaseCommand, CommandError

from dashboard.board.panels.common import RANGES
from dashboard.board.warming import caches_warm, staff_user


class Command(BaseCommand):
    help = "Fill the dashboard panel caches by requesting the pages as staff."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--domain", action="append", dest="domains", default=[])
        parser.add_argument(
            "--range",
            action="append",
            dest="ranges",
            choices=list(RANGES),
            help="Repeatable; default: the dashboard's default range.",
        )
        parser.add_argument(
            "--user", help="A superuser to request as (default: the first)."
        )

    def handle(self, *args, **options) -> None:
        user = staff_user(options.get("user"))
        if user is None:
            raise CommandError(
                "No active superuser to request the pages as; create one or pass --user."
            )
        result = caches_warm(
            user=user, slugs=options["domains"] or None, ranges=options["ranges"]
        )
        self.stdout.write(
            f"Warmed {result.requests} page(s); {result.failures} failed."
        )
        if result.failures:
            raise CommandError("Some pages could not be warmed; see the log.")
