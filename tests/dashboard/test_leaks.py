"""Nothing of one domain is visible from another, on every domain-scoped URL.

The URLs are enumerated from the URL resolver (every pattern, in every app, that
takes a domain `slug`), so a page added later is walked without editing this
file. Domain A's objects all carry the marker "markera", domain B's "markerb".
"""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from dashboard.domains import policy
from dashboard.models import IngestToken, Membership, PermissionDenial

pytestmark = pytest.mark.django_db

MISSING = "zz-missing"
# Values for path parameters other than the domain slug, by name.
EXTRA_KWARGS = {"panel": "ci-health"}


def domain_scoped_urls() -> list[tuple[str, URLPattern]]:
    """(namespaced name, pattern) for every URL whose path has a <slug:slug>."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                converters = getattr(p.pattern, "converters", {})
                if "slug" in converters:
                    found.append((f"{namespace}{p.name}", p))

    walk(get_resolver().url_patterns, "")
    return found


URLS = domain_scoped_urls()
URL_IDS = [name for name, _ in URLS]


def _fill(converter, name: str) -> str:
    """A value the converter accepts, for a path parameter we know nothing about."""
    regex = converter.regex
    candidates = [EXTRA_KWARGS.get(name), "x", "1", "perf", "0" * 40]
    candidates += regex.split("|")  # alternations such as "perf|query-plans"
    for value in candidates:
        if value and re.fullmatch(regex, value):
            return value
    raise AssertionError(f"Add a value for <{name}> ({regex}) to EXTRA_KWARGS")


def _kwargs(pattern: URLPattern, world, slug: str) -> dict:
    kwargs = {"slug": slug}
    for name, converter in pattern.pattern.converters.items():
        if name == "slug":
            continue
        if name == "pk":
            kwargs[name] = _pk_in_a(pattern.name, world)
        elif name == "name" and pattern.name in ("target", "introspect"):
            kwargs[name] = _schema_target_in_a(world)
        else:
            kwargs[name] = _fill(converter, name)
    return kwargs


def _schema_target_in_a(world) -> str:
    """A schema target of domain A (drift pages name it, not a pk)."""
    from pipelines.drift.models import SchemaTarget

    target, _ = SchemaTarget.objects.get_or_create(domain=world.a, name="markera-db")
    return target.name


def _pk_in_a(url_name: str, world) -> int:
    """An object of domain A of the kind the URL names, so a view that forgot to
    restrict would act on it (and an allowed one finds it: no 404 there)."""
    from dashboard.board.exports import export_path
    from dashboard.models import ExportJob
    from tests.pipelines.factories import RunFactory, WebhookDeliveryFactory

    repository = world.a.repositories.first()
    if "member" in url_name:
        return Membership.objects.filter(domain=world.a).first().pk
    if url_name.startswith("review-token"):
        from dashboard.domains.services import ingest_token_create

        # A reviewer revokes only their own: the reviewer of A's token.
        return ingest_token_create(
            domain=world.a,
            name="markera-review-token",
            scopes=["reviews"],
            actor=world.people["reviewer"],
        ).token.pk
    if "token" in url_name:
        return IngestToken.objects.filter(domain=world.a).first().pk
    if url_name.startswith("run"):
        return RunFactory(repository=repository, workflow="markera-flow").pk
    if "monitor-deliver" in url_name:
        from incidents.models import MonitorDelivery

        return MonitorDelivery.objects.get_or_create(
            source="pagerduty",
            delivery_id="markera-delivery",
            defaults={
                "domain": world.a,
                "body": b"{}",
                "state": "failed",
                "error": "markera error",
            },
        )[0].pk
    if "deliver" in url_name:
        return WebhookDeliveryFactory(domain=world.a, repository=repository).pk
    if "slo" in url_name:
        from slos.models import Slo

        slo, _ = Slo.objects.get_or_create(
            domain=world.a,
            name="markera-slo",
            defaults={"objective": 0.99, "window_seconds": 86400},
        )
        return slo.pk
    if url_name.startswith("incident"):
        from tests.incidents.factories import IncidentFactory

        return IncidentFactory(domain=world.a, title="markera incident").pk
    if url_name in ("pin", "pin-propose", "rollout-advance", "proposal"):
        from tests.pins.factories import pin_world

        return pin_world(world.a, repository, marker="markera")[url_name]
    if "export" in url_name:
        job = ExportJob.objects.create(
            domain=world.a,
            kind="runs",
            since=timezone.now() - timedelta(days=1),
            until=timezone.now(),
            state="done",
            file_name="markera.csv",
        )
        path = export_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("markera\n")
        return job.pk
    raise AssertionError(f"Say which object of A <pk> names in {url_name}")


def _normalise(body: bytes, slug: str) -> str:
    text = body.decode(errors="replace").replace(slug, "<slug>")
    text = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", text)
    return re.sub(r'"request_id": "[^"]*"', "", text)


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_the_walk_covers_the_pages_of_this_issue():
    assert {
        "dashboard:domain-detail",
        "dashboard:member-add",
        "dashboard:member-role",
        "dashboard:member-remove",
        "dashboard:token-list",
        "dashboard:token-revoke",
        "dashboard:audit-log",
    } <= set(URL_IDS)


@pytest.mark.parametrize(("name", "pattern"), URLS, ids=URL_IDS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_domains_member_gets_what_a_missing_domain_gives(
    client, world, name, pattern, method
):
    """An admin of domain B, asking for domain A: the answer is exactly the one
    for a domain that does not exist, it holds nothing of A, and it is counted."""
    client.force_login(world.outsider)
    send = getattr(client, method)
    hidden_url = reverse(name, kwargs=_kwargs(pattern, world, world.a.slug))
    missing_url = reverse(name, kwargs=_kwargs(pattern, world, MISSING))
    before = PermissionDenial.objects.filter(domain=world.a).count()
    hidden = send(hidden_url)
    counted = PermissionDenial.objects.filter(domain=world.a).count() - before
    missing = send(missing_url)

    assert hidden.status_code == missing.status_code, hidden_url
    assert hidden.status_code in (404, 405), hidden_url
    assert _normalise(_body(hidden), world.a.slug) == _normalise(
        _body(missing), MISSING
    )
    assert "markera" not in _body(hidden).decode(errors="replace").lower()
    if hidden.status_code == 404:
        assert counted == 1, f"{hidden_url}: the denial was not counted"
        denial = PermissionDenial.objects.filter(domain=world.a).first()
        assert denial.user == world.outsider and denial.path == hidden_url
        assert denial.request_id == hidden["X-Request-ID"]
    # Nothing happened to A's objects either.
    assert Membership.objects.filter(domain=world.a).count() == 4
    assert not IngestToken.objects.filter(domain=world.a, revoked_at__isnull=False)


@contextmanager
def _undone():
    """Run one request and its checks, then roll their writes back, so the next
    role starts from the same world (one fixture, many requests: a faster suite)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize(("name", "pattern"), URLS, ids=URL_IDS)
def test_each_role_gets_what_the_policy_says_and_nothing_of_other_domains(
    client, world, name, pattern
):
    """A member of A of each role, by GET and by POST: refused (and counted)
    exactly where the policy refuses, never refused where it allows, and never
    shown anything of B.

    Views built with dashboard.domains.access.domain_view declare `required_action` and
    must answer 403; other views may refuse with 403 or with selectors.domain_for's
    404, but every refusal must be counted and name an action the role lacks.
    """
    target = reverse(name, kwargs=_kwargs(pattern, world, world.a.slug))
    declared_per_method = getattr(pattern.callback, "required_actions", {})
    for role in policy.Role.values:
        user = world.people[role]
        granted = policy.actions_for(role)
        for method in ["get", "post"]:
            declared = declared_per_method.get(method.upper())
            where = f"{method.upper()} {target} as {role} of A"
            with _undone():
                # The previous role's session row was rolled back, its cached
                # copy was not (sessions are read through the cache): start
                # afresh, as a browser whose session is gone would.
                client.logout()
                client.force_login(user)
                audit_before = world.a.audit.count()
                response = getattr(client, method)(target, {"role": "admin"})
                body = _body(response).decode(errors="replace").lower()
                assert "markerb" not in body, f"{where} shows domain B"
                denials = list(PermissionDenial.objects.filter(path=target))
                if declared is not None and declared not in granted:
                    assert response.status_code == 403, where
                if response.status_code == 403 or denials:
                    assert len(denials) == 1, f"{where}: refused, not counted once"
                    denial = denials[0]
                    assert denial.action not in granted, (
                        f"{where}: refused an allowed action"
                    )
                    assert (denial.user, denial.status_code) == (
                        user,
                        response.status_code,
                    ), where
                    if declared is not None:
                        assert denial.action == declared, where
                    # Refused before acting: nothing was written.
                    assert world.a.audit.count() == audit_before, where
                    assert (
                        Membership.objects.get(user=user, domain=world.a).role == role
                    ), where
                elif declared is not None:
                    # Allowed: a 404 here could only be a bug (A's own objects).
                    assert response.status_code not in (403, 404), where
