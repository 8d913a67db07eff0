"""The first hour (issue 15): copy-ready CI snippets on the token page that work
as written, the domain settings page (map a repository, GitHub webhook setup),
the API reference linked from every page, a favicon."""

import html
import re

import pytest
from django.urls import reverse

from dashboard.models import AuditEntry, Repository
from pipelines.models import TestReport, WebhookDelivery
from tests.dashboard.test_views import as_user, url
from tests.pipelines.conftest import FIXTURES
from tests.pipelines.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db
SETTINGS = "/d/alpha-zq/settings/"


def _snippets(page: str) -> dict[str, str]:
    found = re.findall(
        r'<h3 id="snippet-([\w-]+)">.*?</h3>\s*<pre[^>]*><code>(.*?)</code></pre>',
        page,
        re.S,
    )
    return {key: html.unescape(text) for key, text in found}


def test_the_token_page_gives_snippets_whose_curl_works_as_written(client, world):
    as_user(client, world.people["engineer"])
    created = client.post(
        url("token-list", "alpha-zq"), {"name": "GitHub Actions", "scopes": ["ci"]}
    )
    page = created.content.decode()
    snippets = _snippets(page)
    assert set(snippets) == {
        "curl-junit",
        "actions-junit",
        "actions-perf",
        "actions-plan",
    }
    token = re.search(r'id="new-token"[^>]*value="([^"]+)"', page).group(1)
    curl = snippets["curl-junit"]
    assert f"export CONTROLPLANE_TOKEN='{token}'" in curl  # just issued: filled in
    # GitHub's expressions survive the template language untouched.
    assert "${{ github.run_id }}" in snippets["actions-junit"]
    assert "${{ secrets.CONTROLPLANE_TOKEN }}" in snippets["actions-perf"]
    # The curl's URL, as printed, accepts a report.
    target = re.search(r"'(http://testserver/api/v1/ci/junit\?[^']+)'", curl).group(1)
    target = target.replace("http://testserver", "").replace("RUN_ID", "4242")
    client.logout()
    response = client.post(
        target,
        (FIXTURES / "surefire.xml").read_bytes(),
        content_type="application/xml",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.content
    assert TestReport.objects.get().run.external_id == "4242"


def test_later_the_snippets_name_an_environment_variable_not_a_token(client, world):
    as_user(client, world.people["engineer"])
    page = client.get(url("domain-detail", "alpha-zq")).content.decode()
    snippets = _snippets(page)
    assert "export CONTROLPLANE_TOKEN=...   # an ingest token" in snippets["curl-junit"]
    assert "repository=acme/markera-repo" in snippets["curl-junit"]
    assert 'href="/api/v1/docs"' in page


def test_every_page_links_the_api_reference_and_a_favicon(client, world):
    as_user(client, world.people["viewer"])
    page = client.get(reverse("dashboard:domain-list")).content.decode()
    assert 'href="/api/v1/docs"' in page
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert client.get(icon).status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_an_admin_maps_a_repository_and_its_ignored_deliveries_replay(client, world):
    ignored = WebhookDeliveryFactory(
        domain=None,
        repository=None,
        repository_full_name="acme/new-service",
        state="ignored",
    )
    as_user(client, world.people["admin"])
    page = client.get(SETTINGS)
    assert page.status_code == 200
    text = page.content.decode()
    assert "http://testserver/api/v1/webhooks/github" in text
    assert "application/json" in text and "Workflow runs" in text
    response = client.post(
        SETTINGS,
        {"full_name": "https://github.com/acme/new-service", "default_branch": ""},
        follow=True,
    )
    assert "acme/new-service is mapped to" in response.content.decode()
    assert "1 ignored deliveries replayed" in response.content.decode()
    repo = Repository.objects.get(full_name="acme/new-service")
    assert repo.domain == world.a and repo.default_branch == "main"
    assert WebhookDelivery.objects.get(pk=ignored.pk).state == "pending"
    assert AuditEntry.objects.filter(action="repository.map", domain=world.a).exists()


def test_a_repository_of_another_domain_is_refused_with_the_reason(client, world):
    as_user(client, world.people["admin"])
    response = client.post(SETTINGS, {"full_name": "acme/markerb-repo"})
    assert response.status_code == 422
    assert "belongs to another domain" in response.content.decode()
    assert Repository.objects.get(full_name="acme/markerb-repo").domain == world.b
    bad = client.post(SETTINGS, {"full_name": "no slash"})
    assert bad.status_code == 422 and "owner/name" in bad.content.decode()


def test_a_viewer_may_not_open_the_settings(client, world):
    as_user(client, world.people["viewer"])
    assert client.get(SETTINGS).status_code == 403


def test_an_engineer_may_neither_open_nor_post_the_settings_nor_see_the_link(
    client, world
):
    from dashboard.models import PermissionDenial

    as_user(client, world.people["engineer"])
    page = client.get(SETTINGS)
    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")
    assert "does not let you change the domain&#x27;s settings" in page.content.decode()
    refused = client.post(SETTINGS, {"full_name": "acme/sneaky"})
    assert refused.status_code == 403
    assert not Repository.objects.filter(full_name="acme/sneaky").exists()
    assert (
        PermissionDenial.objects.filter(
            action="manage_settings", status_code=403, path=SETTINGS
        ).count()
        == 2
    )
    domain_page = client.get(url("domain-detail", "alpha-zq")).content.decode()
    assert 'href="/d/alpha-zq/runs/"' in domain_page  # the other pages are linked
    assert SETTINGS not in domain_page
    as_user(client, world.people["admin"])
    assert SETTINGS in client.get(url("domain-detail", "alpha-zq")).content.decode()


def test_the_settings_say_when_the_server_has_no_webhook_secret(
    client, world, settings
):
    settings.GITHUB_WEBHOOK_SECRET = ""
    settings.GITHUB_WEBHOOK_SECRET_PREVIOUS = ""
    as_user(client, world.people["admin"])
    text = client.get(SETTINGS).content.decode()
    assert "not set on this server" in text


def test_the_settings_page_query_count_is_constant_in_repositories(client, world):
    from tests.factories import RepositoryFactory
    from tests.support.queries import assert_constant_queries

    as_user(client, world.people["admin"])

    def call():
        assert client.get(SETTINGS).status_code == 200

    call()
    assert_constant_queries(
        lambda n: [RepositoryFactory(domain=world.a) for _ in range(n)], call
    )
