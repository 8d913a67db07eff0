"""python manage.py replay_dead_letters [ID …] [--all] [--domain SLUG]"""

from django.core.management.base import BaseCommand, CommandError

from dashboard.platform.models import DeadLetter
from dashboard.platform.services import dead_letter_replay


class Command(BaseCommand):
    help = "Send dead-lettered tasks again with their original arguments."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="dead letter ids")
        parser.add_argument(
            "--all", action="store_true", help="every dead letter not yet replayed"
        )
        parser.add_argument("--domain", help="only this domain's (with --all)")

    def handle(self, *args, ids: list[int], all: bool, domain: str | None, **options):
        if not ids and not all:
            raise CommandError("Name dead letter ids, or pass --all.")
        if ids and all:
            raise CommandError("Pass ids or --all, not both.")
        if all:
            letters = DeadLetter.objects.filter(replayed_at__isnull=True)
            if domain:
                letters = letters.filter(domain__slug=domain)
        else:
            letters = DeadLetter.objects.filter(pk__in=ids)
            missing = set(ids) - set(letters.values_list("pk", flat=True))
            if missing:
                raise CommandError(
                    f"No dead letter with id {', '.join(map(str, sorted(missing)))}."
                )
        count = 0
        for letter in letters.order_by("pk"):
            task_id = dead_letter_replay(letter=letter)
            self.stdout.write(f"replayed #{letter.pk} {letter.task_name} as {task_id}")
            count += 1
        self.stdout.write(self.style.SUCCESS(f"{count} dead letter(s) replayed."))
