"""factory_boy factories that make valid-but-weird data.

Unicode names and emails, leap-day and DST-edge timestamps, very long strings,
empty optional fields: if a page or parser breaks on these, users will find out.
"""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from dashboard.domains import services
from dashboard.models import Domain, Repository, Service

WEIRD_NAMES = [
    "Zoë Ångström",
    "李小龍",
    "Ольга Петрова",
    "José Ñúñez",
    "O'Brien-Smith",
    "محمد",
    "Dvořák 🎻",
    "x" * 150,
]

# Timestamps people's code gets wrong.
LEAP_DAY = dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=dt.UTC)
DST_EDGE = dt.datetime(2026, 3, 29, 1, 0, 0, tzinfo=dt.UTC)  # EU clocks jump here
EDGE_TIMES = [LEAP_DAY, DST_EDGE, dt.datetime(2026, 10, 25, 1, 0, 0, tzinfo=dt.UTC)]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user-{n}-ü")
    first_name = factory.Sequence(lambda n: WEIRD_NAMES[n % len(WEIRD_NAMES)][:150])
    email = factory.Sequence(lambda n: f"ünïcødé.{n}@exämple.org")
    password = factory.django.Password("correct horse battery staple")


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"domain-{n}")
    name = factory.Sequence(
        lambda n: f"{WEIRD_NAMES[n % len(WEIRD_NAMES)][:60]} domain"
    )
    description = factory.Sequence(
        lambda n: "" if n % 2 else "Payments & refunds — «EU»"
    )


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    domain = factory.SubFactory(DomainFactory)
    slug = factory.Sequence(lambda n: f"svc-{n}")
    name = factory.Sequence(lambda n: f"Service №{n}")


class RepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repository

    domain = factory.SubFactory(DomainFactory)
    full_name = factory.Sequence(lambda n: f"acme-{n}/app.{n}")
    owner = factory.LazyAttribute(lambda o: o.full_name.split("/")[0])
    name = factory.LazyAttribute(lambda o: o.full_name.split("/")[1])


def member(user, domain: Domain, role: str):
    """Give `user` a role in `domain` through the service (guardian kept in step)."""
    return services.membership_set(user=user, domain=domain, role=role).obj
