"""A small world: two domains with a person of every role, and an outsider."""

from dataclasses import dataclass, field

import pytest

from dashboard.domains import services
from dashboard.models import Domain, Service
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member


@dataclass
class World:
    a: Domain
    b: Domain
    people: dict = field(default_factory=dict)  # role -> user in domain A
    outsider: object = None  # admin of domain B only
    superuser: object = None


@pytest.fixture
def world(db) -> World:
    a = DomainFactory(
        slug="alpha-zq",
        name="Alpha MARKERA-name",
        description="MARKERA-description",
    )
    b = DomainFactory(
        slug="beta-zq", name="Beta MARKERB-name", description="MARKERB-description"
    )
    Service.objects.create(domain=a, slug="svc-a", name="MARKERA-service")
    RepositoryFactory(domain=a, full_name="acme/markera-repo")
    Service.objects.create(domain=b, slug="svc-b", name="MARKERB-service")
    RepositoryFactory(domain=b, full_name="acme/markerb-repo")
    world = World(a=a, b=b)
    for role in ["viewer", "engineer", "reviewer", "admin"]:
        user = UserFactory(username=f"markera-{role}")
        member(user, a, role)
        world.people[role] = user
    world.outsider = UserFactory(username="markerb-admin")
    member(world.outsider, b, "admin")
    world.superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    services.ingest_token_create(
        domain=a, name="MARKERA-token", scopes=["ci"], actor=world.people["admin"]
    )
    services.ingest_token_create(domain=b, name="MARKERB-token", scopes=["ci"])
    return world
