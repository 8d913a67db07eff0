"""python manage.py replay_monitor_deliveries ID… | --all [--source SOURCE]

Process failed or ignored monitor deliveries again (after a fix, or a mapping
made by hand); their effects are upserts, so nothing is doubled."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.platform.models import OutboxState
from incidents.models import MONITOR_SOURCES, MonitorDelivery
from incidents.services.monitors import monitor_delivery_replay


class Command(BaseCommand):
    help = "Replay failed or ignored monitor webhook deliveries."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--all", action="store_true")
        parser.add_argument("--source", choices=[s.value for s in MONITOR_SOURCES])

    def handle(self, *args, ids: list[int], all: bool, source, **options):
        if bool(ids) == all:
            raise CommandError("Give delivery ids, or --all (optionally --source).")
        chosen = MonitorDelivery.objects.filter(
            state__in=(OutboxState.FAILED, OutboxState.IGNORED)
        )
        if ids:
            chosen = chosen.filter(pk__in=ids)
        if source:
            chosen = chosen.filter(source=source)
        replayed = 0
        for delivery in chosen.order_by("pk").defer("body"):
            monitor_delivery_replay(delivery=delivery)
            replayed += 1
        missing = set(ids) - set(chosen.values_list("pk", flat=True)) if ids else set()
        self.stdout.write(f"Replayed {replayed} deliveries.")
        if missing:
            raise CommandError(
                "Not failed or ignored (or unknown): "
                + ", ".join(str(i) for i in sorted(missing))
            )
