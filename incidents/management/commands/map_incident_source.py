"""python manage.py map_incident_source SOURCE KEY DOMAIN [--service SLUG]

Route a monitor's service or integration to a domain: SOURCE is pagerduty,
alertmanager, opsgenie or statuspage; KEY is what its deliveries name
(PagerDuty service id or name, Alertmanager `service` label or receiver,
Opsgenie integration id or name, Statuspage page id). Deliveries ignored
because KEY was not mapped are replayed."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains.models import Domain, Service
from incidents.models import MONITOR_SOURCES
from incidents.services.monitors import source_map


class Command(BaseCommand):
    help = "Map a monitor's service or integration key to a domain."

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", choices=[s.value for s in MONITOR_SOURCES])
        parser.add_argument("key")
        parser.add_argument("domain")
        parser.add_argument("--service", help="a service slug of the domain")

    def handle(self, *args, source: str, key: str, domain: str, service, **options):
        target = Domain.objects.filter(slug=domain).first()
        if target is None:
            raise CommandError(
                f"No domain {domain!r} (python manage.py create_domain)."
            )
        chosen = None
        if service:
            chosen = Service.objects.filter(domain=target, slug=service).first()
            if chosen is None:
                raise CommandError(f"No service {service!r} in domain {domain!r}.")
        key = key.strip()
        if not key or len(key) > 200 or "\x00" in key:
            raise CommandError("KEY must be 1–200 characters.")
        mapping, replayed = source_map(
            source=source, key=key, domain=target, service=chosen
        )
        verb = "Mapped" if mapping.created else "Remapped"
        self.stdout.write(
            f"{verb} {source} {key!r} to {target.slug}; {replayed} ignored "
            "deliveries replayed."
        )
