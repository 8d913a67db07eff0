"""Every response carries the Content-Security-Policy: pages, partials, errors,
the API and the admin, for a staff user and for nobody."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import DomainFactory, UserFactory

pytestmark = pytest.mark.django_db

ARGS = {"slug": "csp-zq", "pk": 999_999, "id": 999_999, "sha": "a" * 40,
        "panel": "ci-health", "unknown": "nope", "slo_id": 999_999,
        "owner": "acme", "name": "zq-target", "pin_id": "nope",
        "proposal_id": 999_999}  # fmt: skip


def every_url() -> list[str]:
    """One concrete URL per pattern of the URLconf (admin: its index only)."""
    urls: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for p in resolver.url_patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if route == "admin/":
                    urls.append("/admin/")
                    continue
                walk(p, route)
            elif isinstance(p, URLPattern):
                for name, value in ARGS.items():
                    for converter in ("slug", "int", "str", "path"):
                        route = route.replace(f"<{converter}:{name}>", str(value))
                    route = route.replace(f"<{name}>", str(value))
                assert "<" not in route, f"no example argument for {route}"
                urls.append("/" + route)

    walk(get_resolver(), "")
    return sorted(set(urls))


def assert_strict_policy(response, url: str) -> None:
    policy = response.get("Content-Security-Policy", "")
    parts = [d.strip().partition(" ") for d in policy.split(";") if d.strip()]
    directives = {name: value for name, _, value in parts}
    assert directives.get("script-src", "").startswith("'self'"), (url, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
    assert directives.get("object-src") == "'none'", url
    assert directives.get("frame-ancestors") == "'none'", url


def test_every_url_answers_with_the_policy_signed_in_and_out(client):
    domain = DomainFactory(slug=ARGS["slug"])
    assert domain.pk
    urls = every_url()
    assert len(urls) > 40 and "/login/" in urls and "/d/csp-zq/dashboard/" in urls
    for url in urls:
        assert_strict_policy(client.get(url), url)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    statuses = set()
    for url in urls:
        response = client.get(url)
        statuses.add(response.status_code)
        assert_strict_policy(response, url)
    assert {200, 404} <= statuses  # pages and errors alike
