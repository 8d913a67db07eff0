"""Operator commands: create_domain, map_repository, add_member, create_ingest_token."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dashboard.domains import services
from dashboard.models import AuditEntry, Domain, IngestToken, Membership, Repository
from tests.factories import DomainFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- create_domain ----------------------------------------------------------------
def test_create_domain_creates_then_is_idempotent_then_updates():
    assert "Created domain payments (Payments)" in run(
        "create_domain", "payments", "--name", "Payments"
    )
    assert "nothing changed" in run("create_domain", "payments", "--name", "Payments")
    assert Domain.objects.filter(slug="payments").count() == 1
    assert "name is now 'Paiements €'" in run(
        "create_domain", "payments", "--name", "Paiements €"
    )
    assert Domain.objects.get(slug="payments").name == "Paiements €"
    assert list(
        AuditEntry.objects.filter(domain__slug="payments").values_list(
            "action", flat=True
        )
    ) == ["domain.update", "domain.create"]


@pytest.mark.parametrize("slug", ["Payments", "pay-", "pay_ments", "a" * 51])
def test_create_domain_refuses_a_bad_slug(slug):
    with pytest.raises(CommandError, match="not a valid domain slug"):
        run("create_domain", slug, "--name", "X")
    assert not Domain.objects.exists()


def test_create_domain_requires_a_name():
    with pytest.raises(CommandError, match="--name"):
        run("create_domain", "payments")
    with pytest.raises(CommandError, match="must not be empty"):
        run("create_domain", "payments", "--name", "   ")


# --- map_repository ---------------------------------------------------------------
def test_map_repository_maps_and_is_idempotent():
    DomainFactory(slug="payments")
    assert "Mapped acme/payments-api to domain payments" in run(
        "map_repository", "acme/payments-api", "payments"
    )
    # GitHub names are case-insensitive: the same repository, nothing new.
    assert "already mapped" in run("map_repository", "ACME/Payments-API", "payments")
    repo = Repository.objects.get()
    assert (repo.owner, repo.name, repo.domain.slug) == (
        "acme",
        "payments-api",
        "payments",
    )


def test_map_repository_refuses_a_repository_of_another_domain_unless_moved():
    DomainFactory(slug="payments")
    DomainFactory(slug="search")
    run("map_repository", "acme/shared", "payments")
    with pytest.raises(CommandError) as refused:
        run("map_repository", "acme/shared", "search")
    assert "mapped to domain 'payments'" in str(refused.value)
    assert "--move" in str(refused.value)
    assert Repository.objects.get().domain.slug == "payments"

    assert "Moved acme/shared to domain search" in run(
        "map_repository", "acme/shared", "search", "--move"
    )
    assert Repository.objects.get().domain.slug == "search"
    move = AuditEntry.objects.get(action="repository.move")
    assert (move.before, move.after) == ({"domain": "payments"}, {"domain": "search"})


def test_map_repository_refuses_unknown_domain_and_bad_names():
    with pytest.raises(CommandError, match=r"No domain 'nowhere'.*create_domain"):
        run("map_repository", "acme/x", "nowhere")
    DomainFactory(slug="payments")
    with pytest.raises(CommandError, match="OWNER/NAME"):
        run("map_repository", "not-a-repo", "payments")
    assert not Repository.objects.exists()


# --- add_member -------------------------------------------------------------------
def test_add_member_adds_changes_and_is_idempotent():
    user = UserFactory(username="zoë")
    domain = DomainFactory(slug="payments")
    assert "Added zoë to domain payments as Viewer" in run(
        "add_member", "zoë", "payments", "--role", "viewer"
    )
    assert "nothing changed" in run("add_member", "zoë", "payments", "--role", "viewer")
    assert "from Viewer to Domain admin" in run(
        "add_member", "zoë", "payments", "--role", "admin"
    )
    assert Membership.objects.get(user=user, domain=domain).role == "admin"
    assert user.has_perm("dashboard.manage_members", domain)


def test_add_member_refuses_unknown_user_domain_or_role():
    DomainFactory(slug="payments")
    UserFactory(username="zoë")
    with pytest.raises(CommandError, match="No user 'nobody'"):
        run("add_member", "nobody", "payments", "--role", "viewer")
    with pytest.raises(CommandError, match="No domain 'nowhere'"):
        run("add_member", "zoë", "nowhere", "--role", "viewer")
    with pytest.raises(CommandError, match="invalid choice: 'owner'"):
        run("add_member", "zoë", "payments", "--role", "owner")
    assert not Membership.objects.exists()


# --- create_ingest_token ----------------------------------------------------------
def test_create_ingest_token_prints_the_token_alone_on_the_last_line():
    domain = DomainFactory(slug="payments")
    out = run(
        "create_ingest_token",
        "payments",
        "--scope",
        "ci",
        "--scope",
        "slo",
        "--name",
        "jenkins",
    )
    token_line = out.rstrip("\n").splitlines()[-1]
    assert token_line.startswith(services.TOKEN_PREFIX) and " " not in token_line
    stored = IngestToken.objects.get()
    assert (stored.domain, stored.name, stored.scopes) == (
        domain,
        "jenkins",
        ["ci", "slo"],
    )
    # Only the hash is stored; the printed token resolves to this domain's token.
    assert token_line not in str(list(IngestToken.objects.values_list()))
    assert services.ingest_token_resolve(token_line) == stored
    assert stored.prefix in out


def test_create_ingest_token_refuses_unknown_domain_and_scope():
    with pytest.raises(CommandError, match="No domain 'nowhere'"):
        run("create_ingest_token", "nowhere", "--scope", "ci")
    DomainFactory(slug="payments")
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        run("create_ingest_token", "payments", "--scope", "admin")
    with pytest.raises(CommandError, match="--scope"):
        run("create_ingest_token", "payments")
    assert not IngestToken.objects.exists()


def test_each_command_run_twice_makes_one_token_each_time():
    # Tokens are the one non-idempotent command by nature: each run is a new secret.
    DomainFactory(slug="payments")
    first = run("create_ingest_token", "payments", "--scope", "ci").splitlines()[-1]
    second = run("create_ingest_token", "payments", "--scope", "ci").splitlines()[-1]
    assert first != second and IngestToken.objects.count() == 2


# --- link_service -----------------------------------------------------------------
def test_link_service_links_replaces_and_unlinks_its_domains_repositories():
    from dashboard.models import Service

    domain = DomainFactory(slug="payments")
    service = Service.objects.create(domain=domain, slug="checkout-api", name="Ç")
    run("map_repository", "acme/payments-api", "payments")
    run("map_repository", "acme/ledger", "payments")
    out = run("link_service", "payments", "checkout-api", "ACME/Payments-API")
    assert "payments/checkout-api: linked to acme/payments-api." in out
    assert "nothing changed" in run(
        "link_service", "payments", "checkout-api", "acme/payments-api"
    )
    run("link_service", "payments", "checkout-api", "acme/ledger", "acme/payments-api")
    assert sorted(service.repositories.values_list("full_name", flat=True)) == [
        "acme/ledger",
        "acme/payments-api",
    ]
    entry = AuditEntry.objects.filter(action="service.repositories").latest("id")
    assert entry.before == {"repositories": ["acme/payments-api"]}
    assert entry.after == {"repositories": ["acme/ledger", "acme/payments-api"]}
    assert "linked to no repository" in run(
        "link_service", "payments", "checkout-api", "--unlink"
    )
    assert not service.repositories.exists()


def test_link_service_refuses_what_it_cannot_link():
    from dashboard.models import Service

    payments = DomainFactory(slug="payments")
    DomainFactory(slug="search")
    Service.objects.create(domain=payments, slug="checkout-api", name="Checkout")
    run("map_repository", "acme/search", "search")
    cases = [
        (("payments", "checkout-api", "acme/search"), "not mapped to domain"),
        (("payments", "checkout-api", "acme/nowhere"), "map_repository"),
        (("payments", "no-such", "acme/search"), "No service 'no-such'"),
        (("payments", "checkout-api"), "--unlink"),
        (("payments", "checkout-api", "acme/search", "--unlink"), "--unlink"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError, match=message):
            run("link_service", *args)
    assert not AuditEntry.objects.filter(action="service.repositories").exists()


def test_moving_a_repository_drops_its_links_to_the_old_domains_services():
    from dashboard.models import Service

    payments = DomainFactory(slug="payments")
    DomainFactory(slug="search")
    service = Service.objects.create(domain=payments, slug="checkout-api", name="C")
    run("map_repository", "acme/shared", "payments")
    run("link_service", "payments", "checkout-api", "acme/shared")
    run("map_repository", "acme/shared", "search", "--move")
    assert not service.repositories.exists()
