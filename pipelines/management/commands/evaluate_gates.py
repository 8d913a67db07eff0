"""python manage.py evaluate_gates OWNER/NAME SHA [--enqueue]"""

from django.core.management.base import BaseCommand, CommandError

from config.tasks import TransientError
from dashboard.domains.models import Repository
from pipelines.gates.services import gates


class Command(BaseCommand):
    help = (
        "Judge a commit's tests, performance and query plans against the domain's "
        "budgets now, print the verdicts, and queue posting them to GitHub."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("full_name", metavar="OWNER/NAME")
        parser.add_argument("sha", metavar="SHA")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="let a worker evaluate instead of evaluating in this process",
        )

    def handle(self, *args, full_name: str, sha: str, enqueue: bool, **options):
        repository = (
            Repository.objects.using("default")
            .filter(full_name__iexact=full_name)
            .first()
        )
        if repository is None:
            raise CommandError(
                f"No repository {full_name!r}. Map it first: "
                f"python manage.py map_repository {full_name} SLUG"
            )
        sha = sha.strip().lower()
        if enqueue:
            gates.gates_evaluate_enqueue(repository_id=repository.pk, sha=sha)
            self.stdout.write(f"Queued gate evaluation of {full_name}@{sha}.")
            return
        try:
            verdicts = gates.gates_evaluate(repository_id=repository.pk, sha=sha)
        except TransientError as exc:
            raise CommandError(f"Try again: {exc}")
        if not verdicts:
            self.stdout.write(
                f"No tests, performance samples or query plans for {sha}: no verdict."
            )
        for verdict in verdicts:
            self.stdout.write(
                f"{verdict.context}: {verdict.state} — {verdict.description}"
            )
