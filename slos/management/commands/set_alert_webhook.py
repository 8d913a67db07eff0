"""python manage.py set_alert_webhook SLUG URL — where a domain's SLO alerts are
POSTed; prints the new signing secret once."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from dashboard.domains.models import Domain
from slos.services import alert_webhook_set


class Command(BaseCommand):
    help = "Set a domain's SLO alert webhook (signed; the secret is printed once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("domain")
        parser.add_argument("url")

    def handle(self, *args, domain: str, url: str, **options) -> None:
        target = Domain.objects.filter(slug=domain).first()
        if target is None:
            raise CommandError(f"No domain {domain!r}.")
        try:
            URLValidator(schemes=["https", "http"])(url)
        except ValidationError as exc:
            raise CommandError(f"{url!r} is not an http(s) URL.") from exc
        _, secret = alert_webhook_set(domain=target, url=url)
        self.stdout.write(
            f"Alerts of {domain} go to {url}, signed in X-ControlPlane-Signature-256 "
            f"with this secret (shown once): {secret}"
        )
