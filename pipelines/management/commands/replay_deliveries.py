"""python manage.py replay_deliveries — process failed or ignored GitHub
deliveries again, e.g. after mapping their repository to a domain."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains.models import Repository
from dashboard.platform.models import OutboxState
from pipelines.ingest.models import WebhookDelivery
from pipelines.ingest.services import webhooks


class Command(BaseCommand):
    help = (
        "Replay failed or ignored webhook deliveries: by delivery id, or every "
        "one ignored for an unmapped repository (--repository OWNER/NAME)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("delivery_ids", nargs="*", help="X-GitHub-Delivery ids")
        parser.add_argument("--repository", help="OWNER/NAME, now mapped")

    def handle(self, *args, delivery_ids: list[str], repository: str | None, **kw):
        if not delivery_ids and not repository:
            raise CommandError("Name delivery ids, or --repository OWNER/NAME.")
        replayed = 0
        if repository:
            repo = Repository.objects.filter(full_name__iexact=repository).first()
            if repo is None:
                raise CommandError(
                    f"{repository} is not mapped to a domain; map it first "
                    "(python manage.py map_repository)."
                )
            replayed += webhooks.deliveries_replay_for_repository(repository=repo)
        for delivery_id in delivery_ids:
            delivery = WebhookDelivery.objects.filter(delivery_id=delivery_id).first()
            if delivery is None:
                raise CommandError(f"No delivery {delivery_id}.")
            if delivery.state not in (OutboxState.FAILED, OutboxState.IGNORED):
                self.stdout.write(f"{delivery_id}: {delivery.state}, not replayed")
                continue
            webhooks.delivery_replay(delivery=delivery)
            replayed += 1
        self.stdout.write(self.style.SUCCESS(f"Replayed {replayed} deliveries."))
