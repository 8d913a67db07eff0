"""python manage.py load_demo — demo domains, people and repositories.

Idempotent and deterministic: running it twice changes nothing the second time.
Other apps add their demo data by receiving `dashboard.signals.demo_loaded`, so
this command stays the one entry point.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from dashboard.domains import services
from dashboard.domains.models import Domain, Service
from dashboard.signals import demo_loaded

DEMO_PASSWORD = "demo-password-123"  # noqa: S105  # nosec B105 # a published demo login

DOMAINS = [
    (
        "payments",
        "Payments",
        "Card payments, refunds and payouts.",
        ["checkout-api", "refunds-worker"],
        ["acme/payments-api", "acme/refunds"],
    ),
    (
        "search",
        "Search",
        "Catalogue search and ranking.",
        ["search-api", "indexer"],
        ["acme/search"],
    ),
    (
        "onboarding",
        "Onboarding",
        "Sign-up, KYC and first-run flows.",
        ["signup-web"],
        ["acme/onboarding-web"],
    ),
]

# The repositories each demo service is built from (DORA per service).
SERVICE_REPOSITORIES = {
    "checkout-api": ["acme/payments-api"],
    "refunds-worker": ["acme/refunds"],
    "search-api": ["acme/search"],
    "indexer": ["acme/search"],
    "signup-web": ["acme/onboarding-web"],
}

# username, is_superuser, {domain: role}
PEOPLE = [
    ("admin", True, {}),
    ("alice", False, {"payments": "admin", "search": "viewer"}),
    ("eve", False, {"payments": "engineer"}),
    ("rita", False, {"payments": "reviewer", "onboarding": "reviewer"}),
    ("victor", False, {"payments": "viewer"}),
    ("sam", False, {"search": "admin"}),
]


class Command(BaseCommand):
    help = "Load demo domains, users, repositories (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        User = get_user_model()
        for slug, name, description, service_slugs, repos in DOMAINS:
            domain = services.domain_create(
                slug=slug, name=name, description=description
            ).obj
            mapped = {
                full_name: services.repository_map(
                    full_name=full_name, domain=domain
                ).obj
                for full_name in repos
            }
            for service_slug in service_slugs:
                service, _ = Service.objects.get_or_create(
                    domain=domain,
                    slug=service_slug,
                    defaults={"name": service_slug.replace("-", " ").title()},
                )
                services.service_repositories_set(
                    service=service,
                    repositories=[
                        mapped[n] for n in SERVICE_REPOSITORIES.get(service_slug, [])
                    ],
                )
        for username, superuser, roles in PEOPLE:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.org",
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            for slug, role in roles.items():
                services.membership_set(
                    user=user, domain=Domain.objects.get(slug=slug), role=role
                )
        demo_loaded.send(sender=self.__class__)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            f"Logins (password {DEMO_PASSWORD}): "
            + ", ".join(f"{u}" for u, _, _ in PEOPLE)
        )
