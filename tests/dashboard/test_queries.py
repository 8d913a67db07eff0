"""Every page of the web shell runs the same number of queries with N and 2N rows."""

import pytest
from django.urls import reverse

from dashboard.domains import services
from dashboard.models import Service
from tests.factories import DomainFactory, RepositoryFactory, UserFactory, member
from tests.support.queries import assert_constant_queries

pytestmark = pytest.mark.django_db


def _ok(client, path: str, **extra):
    def call():
        response = client.get(path, **extra)
        assert response.status_code == 200, response.status_code

    return call


def test_domain_list_and_navigation(client, world):
    user = world.people["viewer"]
    client.force_login(user)

    def more_domains(n: int) -> None:
        for _ in range(n):
            member(user, DomainFactory(), "viewer")

    assert_constant_queries(more_domains, _ok(client, "/"))


@pytest.mark.parametrize("role", ["viewer", "engineer", "admin"])
def test_domain_page_with_members_tokens_services_and_repositories(client, world, role):
    client.force_login(world.people[role])

    def more_rows(n: int) -> None:
        for _ in range(n):
            member(UserFactory(), world.a, "engineer")
            services.ingest_token_create(domain=world.a, name="t", scopes=["ci"])
            Service.objects.create(
                domain=world.a,
                slug=f"s{Service.objects.count()}",
                name="svc",
            )
            RepositoryFactory(domain=world.a)

    path = reverse("dashboard:domain-detail", kwargs={"slug": world.a.slug})
    assert_constant_queries(more_rows, _ok(client, path))


def test_audit_log_page(client, world):
    admin = world.people["admin"]
    client.force_login(admin)

    def more_entries(n: int) -> None:
        for _ in range(n):
            services.audit_record(actor=UserFactory(), action="x.y", domain=world.a)

    path = reverse("dashboard:audit-log", kwargs={"slug": world.a.slug})
    assert_constant_queries(more_entries, _ok(client, path), n=20)
    # Older pages (the htmx partial) too.
    services_page = client.get(path, {"page_size": 5}).content.decode()
    cursor = services_page.split("?cursor=")[1].split('"')[0]
    assert_constant_queries(
        more_entries,
        _ok(client, f"{path}?cursor={cursor}&page_size=5", HTTP_HX_REQUEST="true"),
    )


def test_member_role_partial(client, world):
    client.force_login(world.people["admin"])
    # Each measured call promotes a different viewer, so each does the same work.
    targets = iter([member(UserFactory(), world.a, "viewer") for _ in range(3)])

    def more_members(n: int) -> None:
        for _ in range(n):
            member(UserFactory(), world.a, "viewer")

    def promote():
        target = next(targets)
        path = reverse(
            "dashboard:member-role", kwargs={"slug": world.a.slug, "pk": target.pk}
        )
        response = client.post(path, {"role": "engineer"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200

    assert_constant_queries(more_members, promote)


def test_token_creation(client, world):
    client.force_login(world.people["engineer"])
    path = reverse("dashboard:token-list", kwargs={"slug": world.a.slug})

    def more_tokens(n: int) -> None:
        for _ in range(n):
            services.ingest_token_create(domain=world.a, name="t", scopes=["ci"])

    def create():
        response = client.post(
            path, {"name": "n", "scopes": ["ci"]}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 201

    assert_constant_queries(more_tokens, create)
