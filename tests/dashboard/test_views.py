"""The web shell as people of each role use it: pages, forms, htmx partials."""

import re

import pytest
from django.urls import reverse

from dashboard.domains import services
from dashboard.models import AuditEntry, IngestToken, Membership, PermissionDenial

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def url(name: str, slug: str, **kw) -> str:
    return reverse(f"dashboard:{name}", kwargs={"slug": slug, **kw})


def as_user(client, user):
    client.force_login(user)
    return client


# --- Login and navigation ---------------------------------------------------------
def test_login_page_has_labelled_fields_and_logs_in(client, world):
    page = client.get("/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_username">' in html and 'id="id_username"' in html
    assert '<label for="id_password">' in html
    user = world.people["viewer"]
    user.set_password("a long enough pass")
    user.save()
    response = client.post(
        "/login/", {"username": user.username, "password": "a long enough pass"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/")["Location"].startswith("/login/")


def test_anonymous_people_are_sent_to_log_in(client, world):
    for path in ["/", url("domain-detail", "alpha-zq"), url("audit-log", "alpha-zq")]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
    assert not PermissionDenial.objects.exists()


def test_list_and_navigation_show_only_your_domains(client, world):
    html = as_user(client, world.people["viewer"]).get("/").content.decode()
    assert "Alpha MARKERA-name" in html and "Beta MARKERB-name" not in html
    html = as_user(client, world.outsider).get("/").content.decode()
    assert "Beta MARKERB-name" in html and "MARKERA" not in html
    html = as_user(client, world.people["engineer"]).get("/").content.decode()
    assert "Your role: Engineer" in html
    html = as_user(client, world.superuser).get("/").content.decode()
    assert "Beta MARKERB-name" in html and "Alpha MARKERA-name" in html


def test_navigation_marks_the_current_domain(client, world):
    html = as_user(client, world.people["admin"]).get(url("domain-detail", "alpha-zq"))
    assert 'href="/d/alpha-zq/" aria-current="page"' in html.content.decode()


def test_navigation_follows_memberships_and_names_at_once(client, world):
    """The navigation is cached per user; a change of membership or of a
    domain's name shows on the very next page, names escaped."""
    from tests.factories import DomainFactory, member

    viewer = world.people["viewer"]
    page = as_user(client, viewer)

    def nav() -> str:
        html = page.get("/").content.decode()
        return re.search(r'<nav aria-label="Domains".*?</nav>', html, re.S).group(0)

    assert "Alpha MARKERA-name" in nav() and "NEWDOMAIN" not in nav()
    gamma = DomainFactory(slug="gamma-nav", name="NEWDOMAIN <b>gamma</b>")
    member(viewer, gamma, "viewer")
    assert "NEWDOMAIN &lt;b&gt;gamma&lt;/b&gt;" in nav()
    gamma.name = "RENAMED gamma"
    gamma.save()
    assert "RENAMED gamma" in nav() and "NEWDOMAIN" not in nav()
    services.membership_remove(
        membership=Membership.objects.get(user=viewer, domain=gamma)
    )
    assert "RENAMED" not in nav()


def test_someone_in_no_domain_is_told_how_to_get_in(client, world):
    from tests.factories import UserFactory

    html = as_user(client, UserFactory()).get("/").content.decode()
    assert "not a member of any domain" in html


# --- The domain page per role --------------------------------------------------------
def test_domain_page_shows_services_repositories_members_and_roles(client, world):
    html = as_user(client, world.people["viewer"]).get(url("domain-detail", "alpha-zq"))
    text = html.content.decode()
    assert "MARKERA-service" in text and "acme/markera-repo" in text
    for role, label in [("viewer", "Viewer"), ("admin", "Domain admin")]:
        assert re.search(
            rf"markera-{role}(<span[^<]*</span>| )*</th>\s*<td>{label}", text
        ), f"{role} row missing"
    # A viewer sees no tokens, no member forms, no audit link.
    assert "MARKERA-token" not in text and "Create a token" not in text
    assert "Change<span" not in text and "Save member" not in text
    assert url("audit-log", "alpha-zq") not in text


def test_engineer_sees_tokens_but_cannot_manage_members(client, world):
    text = (
        as_user(client, world.people["engineer"])
        .get(url("domain-detail", "alpha-zq"))
        .content.decode()
    )
    assert "MARKERA-token" in text and "Create a token" in text
    assert "Your role here: <strong>Engineer</strong>" in text
    assert "Save member" not in text and url("audit-log", "alpha-zq") not in text


def test_admin_sees_member_forms_tokens_and_the_audit_link(client, world):
    text = (
        as_user(client, world.people["admin"])
        .get(url("domain-detail", "alpha-zq"))
        .content.decode()
    )
    assert "Save member" in text and "Create a token" in text
    assert url("audit-log", "alpha-zq") in text
    # Labelled fields (the checkbox and select labels come from Django forms).
    assert '<label for="id_username">' in text and '<label for="id_role">' in text
    assert re.search(r'<label for="role-\d+" class="visually-hidden">', text)


# --- Restriction: 404 like missing, 403 when visible -------------------------------
def test_a_hidden_domain_is_a_404_identical_to_a_missing_one(client, world):
    as_user(client, world.outsider)
    hidden = client.get(url("domain-detail", "alpha-zq"))
    missing = client.get(url("domain-detail", "no-such-zq"))
    assert hidden.status_code == missing.status_code == 404
    assert CSRF.sub("", hidden.content.decode()) == CSRF.sub(
        "", missing.content.decode()
    )
    # Only the probe of an existing domain counts as a denial.
    denial = PermissionDenial.objects.get()
    assert (denial.domain, denial.status_code, denial.user) == (
        world.a,
        404,
        world.outsider,
    )
    assert denial.request_id == hidden["X-Request-ID"]


def test_a_visible_domain_without_the_right_is_a_403_page_and_counted(client, world):
    as_user(client, world.people["viewer"])
    response = client.get(url("audit-log", "alpha-zq"))
    assert response.status_code == 403
    text = response.content.decode()
    assert "does not let you read the domain&#x27;s audit log" in text
    assert response["X-Request-ID"] in text
    denial = PermissionDenial.objects.get()
    assert (denial.action, denial.status_code, denial.domain) == (
        "view_audit",
        403,
        world.a,
    )


# --- Members -----------------------------------------------------------------------
def test_admin_adds_a_member_without_javascript(client, world):
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newcomer-ø")
    as_user(client, world.people["admin"])
    response = client.post(
        url("member-add", "alpha-zq"),
        {"username": "newcomer-ø", "role": "engineer"},
        HTTP_X_REQUEST_ID="req-add-1",
        follow=True,
    )
    assert response.status_code == 200
    assert "newcomer-ø added as Engineer." in response.content.decode()
    assert Membership.objects.get(user=newcomer, domain=world.a).role == "engineer"
    assert newcomer.has_perm("dashboard.manage_tokens", world.a)
    entry = AuditEntry.objects.get(
        action="membership.add", domain=world.a, after__user="newcomer-ø"
    )
    assert (entry.actor, entry.request_id) == (world.people["admin"], "req-add-1")


def test_adding_an_unknown_person_says_so(client, world):
    as_user(client, world.people["admin"])
    response = client.post(
        url("member-add", "alpha-zq"), {"username": "ghost", "role": "viewer"}
    )
    assert response.status_code == 422
    assert "No account with that username" in response.content.decode()
    response = client.post(
        url("member-add", "alpha-zq"),
        {"username": "ghost", "role": "viewer"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="members"') and "<html" not in text


def test_member_add_with_htmx_returns_the_members_section(client, world):
    from tests.factories import UserFactory

    UserFactory(username="htmx-person")
    as_user(client, world.people["admin"])
    response = client.post(
        url("member-add", "alpha-zq"),
        {"username": "htmx-person", "role": "reviewer"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200 and "<html" not in text
    assert "htmx-person added as Reviewer." in text
    assert re.search(r"htmx-person(<span[^<]*</span>| )*</th>\s*<td>Reviewer", text)


def test_role_change_with_htmx_returns_the_row(client, world):
    as_user(client, world.people["admin"])
    membership = Membership.objects.get(user=world.people["viewer"], domain=world.a)
    response = client.post(
        url("member-role", "alpha-zq", pk=membership.pk),
        {"role": "engineer"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert text.strip().startswith(f'<tr id="member-{membership.pk}">')
    assert "Now Engineer." in text
    membership.refresh_from_db()
    assert membership.role == "engineer"
    entry = AuditEntry.objects.get(action="membership.role")
    assert (entry.before, entry.after["role"]) == ({"role": "viewer"}, "engineer")
    bad = client.post(
        url("member-role", "alpha-zq", pk=membership.pk),
        {"role": "god"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 422
    assert "god is not one of the available choices" in bad.content.decode()


def test_role_change_and_removal_without_javascript(client, world):
    as_user(client, world.people["admin"])
    membership = Membership.objects.get(user=world.people["reviewer"], domain=world.a)
    response = client.post(
        url("member-role", "alpha-zq", pk=membership.pk), {"role": "viewer"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/d/alpha-zq/#members"
    response = client.post(
        url("member-remove", "alpha-zq", pk=membership.pk), follow=True
    )
    assert "markera-reviewer is no longer a member" in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not world.people["reviewer"].has_perm("dashboard.browse_domain", world.a)
    # The removed person now gets the same 404 as for a domain that does not exist.
    as_user(client, world.people["reviewer"])
    assert client.get(url("domain-detail", "alpha-zq")).status_code == 404


def test_member_remove_with_htmx_returns_nothing_so_the_row_goes(client, world):
    as_user(client, world.people["admin"])
    membership = Membership.objects.get(user=world.people["viewer"], domain=world.a)
    response = client.post(
        url("member-remove", "alpha-zq", pk=membership.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    assert AuditEntry.objects.filter(
        action="membership.remove", domain=world.a
    ).exists()


def test_a_membership_of_another_domain_is_404_through_this_one(client, world):
    # Admin of B tries to change a member of A via B's URL: not found, counted.
    foreign = Membership.objects.get(user=world.people["viewer"], domain=world.a)
    as_user(client, world.outsider)
    response = client.post(
        url("member-role", "beta-zq", pk=foreign.pk), {"role": "admin"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == "viewer"
    denial = PermissionDenial.objects.get()
    assert (denial.domain, denial.status_code) == (world.a, 404)


def test_get_on_a_form_endpoint_is_405_only_after_restriction(client, world):
    as_user(client, world.people["admin"])
    assert client.get(url("member-add", "alpha-zq")).status_code == 405
    as_user(client, world.outsider)
    assert client.get(url("member-add", "alpha-zq")).status_code == 404


# --- Tokens ------------------------------------------------------------------------
def _everything_stored() -> str:
    rows = list(IngestToken.objects.values_list()) + list(
        AuditEntry.objects.values_list()
    )
    return repr(rows)


def test_engineer_creates_a_token_and_sees_it_once(client, world):
    as_user(client, world.people["engineer"])
    response = client.post(
        url("token-list", "alpha-zq"),
        {"name": "GitHub Actions", "scopes": ["ci", "schema"]},
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    plaintext = re.search(
        r'id="new-token"[^>]*value="([^"]+)"', response.content.decode()
    ).group(1)
    token = IngestToken.objects.get(name="GitHub Actions")
    assert plaintext.startswith(f"cpi_{token.prefix}_")
    assert (token.domain, token.scopes, token.created_by) == (
        world.a,
        ["ci", "schema"],
        world.people["engineer"],
    )
    # Never stored in clear, never shown again.
    assert plaintext not in _everything_stored()
    assert plaintext.split("_", 2)[2] not in _everything_stored()
    again = client.get(url("domain-detail", "alpha-zq")).content.decode()
    assert plaintext not in again and f"cpi_{token.prefix}_…" in again
    assert services.ingest_token_resolve(plaintext) == token


def test_token_creation_with_htmx_swaps_the_tokens_section(client, world):
    as_user(client, world.people["admin"])
    response = client.post(
        url("token-list", "alpha-zq"),
        {"name": "jenkins", "scopes": ["slo"]},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 201 and "<html" not in text
    assert text.strip().startswith('<section id="tokens"') and 'id="new-token"' in text
    invalid = client.post(
        url("token-list", "alpha-zq"), {"name": "x"}, HTTP_HX_REQUEST="true"
    )
    assert (
        invalid.status_code == 422
        and "Choose at least one scope." in invalid.content.decode()
    )
    assert IngestToken.objects.filter(domain=world.a).count() == 2


def test_engineer_cannot_mint_a_budgets_token_admin_can(client, world):
    """A token never grants more than its creator's role: `budgets` needs
    manage_budgets, which engineers lack."""
    as_user(client, world.people["engineer"])
    page = client.get(url("domain-detail", "alpha-zq")).content.decode()
    assert 'value="budgets"' not in page and 'value="ci"' in page
    response = client.post(
        url("token-list", "alpha-zq"), {"name": "rewrite", "scopes": ["budgets"]}
    )
    assert response.status_code == 422
    assert "does not allow the scope budgets" in response.content.decode()
    assert not IngestToken.objects.filter(name="rewrite").exists()
    with pytest.raises(services.TokenScopeRefused, match="manage_budgets"):
        services.ingest_token_create(
            domain=world.a,
            name="rewrite",
            scopes=["ci", "budgets"],
            actor=world.people["engineer"],
        )
    assert not IngestToken.objects.filter(name="rewrite").exists()

    as_user(client, world.people["admin"])
    page = client.get(url("domain-detail", "alpha-zq")).content.decode()
    assert 'value="budgets"' in page
    response = client.post(
        url("token-list", "alpha-zq"), {"name": "budgets", "scopes": ["budgets"]}
    )
    assert response.status_code == 201
    token = IngestToken.objects.get(name="budgets")
    assert (token.scopes, token.created_by) == (["budgets"], world.people["admin"])


def test_get_on_the_tokens_url_leads_to_the_domain_page(client, world):
    as_user(client, world.people["engineer"])
    response = client.get(url("token-list", "alpha-zq"))
    assert response.status_code == 302 and response["Location"] == "/d/alpha-zq/#tokens"


def test_viewer_and_reviewer_cannot_create_tokens(client, world):
    for role in ["viewer", "reviewer"]:
        as_user(client, world.people[role])
        response = client.post(
            url("token-list", "alpha-zq"), {"name": "sneaky", "scopes": ["ci"]}
        )
        assert response.status_code == 403
    assert not IngestToken.objects.filter(name="sneaky").exists()
    assert (
        PermissionDenial.objects.filter(status_code=403, action="manage_tokens").count()
        == 2
    )


def test_revoking_a_token_with_and_without_htmx(client, world):
    as_user(client, world.people["engineer"])
    first = services.ingest_token_create(domain=world.a, name="one", scopes=["ci"])
    second = services.ingest_token_create(domain=world.a, name="two", scopes=["ci"])
    response = client.post(
        url("token-revoke", "alpha-zq", pk=first.token.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert (
        response.content.decode()
        .strip()
        .startswith(f'<tr id="token-{first.token.pk}">')
    )
    assert "Revoked" in response.content.decode()
    assert services.ingest_token_resolve(first.plaintext) is None
    response = client.post(
        url("token-revoke", "alpha-zq", pk=second.token.pk), follow=True
    )
    assert (
        "Token " + second.token.prefix + " (two) revoked." in response.content.decode()
    )
    assert AuditEntry.objects.filter(action="token.revoke", domain=world.a).count() == 2


def test_a_token_of_another_domain_cannot_be_revoked_through_this_one(client, world):
    theirs = IngestToken.objects.get(name="MARKERA-token")
    as_user(client, world.outsider)
    assert client.post(url("token-revoke", "beta-zq", pk=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert PermissionDenial.objects.get().domain == world.a


# --- Audit log ---------------------------------------------------------------------
def test_audit_log_is_paginated_by_cursor(client, world):
    admin = world.people["admin"]
    for i in range(55):
        services.audit_record(actor=admin, action=f"test.entry{i}", domain=world.a)
    services.audit_record(actor=admin, action="test.other-domain", domain=world.b)
    as_user(client, admin)
    first = client.get(url("audit-log", "alpha-zq"))
    text = first.content.decode()
    assert (
        first.status_code == 200
        and "test.entry54" in text
        and "test.other-domain" not in text
    )
    cursor = re.search(r'href="\?cursor=([^"]+)"', text).group(1)
    assert text.count('<code class="nowrap">test.entry') == 50
    second = client.get(
        url("audit-log", "alpha-zq"), {"cursor": cursor}, HTTP_HX_REQUEST="true"
    )
    rows = second.content.decode()
    assert "<html" not in rows and "test.entry0<" in rows and "test.entry54" not in rows
    # The older page ends with what the world fixture and the loop wrote before it.
    assert "membership.add" in rows and "Older entries" not in rows


def test_a_forged_cursor_is_a_400_not_a_500(client, world):
    as_user(client, world.people["admin"])
    response = client.get(url("audit-log", "alpha-zq"), {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "start again without one" in response.content.decode()


# --- Static files and the admin ---------------------------------------------------------
def test_htmx_is_served_locally(client, world):
    html = as_user(client, world.people["viewer"]).get("/").content.decode()
    src = re.search(r'<script src="([^"]+htmx[^"]+)"', html).group(1)
    assert src.startswith("/static/")
    assert b"htmx" in b"".join(client.get(src).streaming_content)


def test_staff_use_the_admin_and_membership_edits_keep_guardian_in_step(client, world):
    as_user(client, world.superuser)
    for model in [
        "domain",
        "service",
        "repository",
        "membership",
        "ingesttoken",
        "auditentry",
        "permissiondenial",
        "deadletter",
    ]:
        assert client.get(f"/admin/dashboard/{model}/").status_code == 200, model
    from tests.factories import UserFactory

    person = UserFactory(username="via-admin")
    response = client.post(
        "/admin/dashboard/membership/add/",
        {"user": person.pk, "domain": world.b.pk, "role": "engineer"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert person.has_perm("dashboard.manage_tokens", world.b)
    assert AuditEntry.objects.filter(
        action="membership.add", actor=world.superuser
    ).exists()
    membership = Membership.objects.get(user=person)
    client.post(f"/admin/dashboard/membership/{membership.pk}/delete/", {"post": "yes"})
    fresh = type(person).objects.get(pk=person.pk)
    assert not fresh.has_perm("dashboard.browse_domain", world.b)
    # Audit entries cannot be edited or deleted, even by a superuser.
    entry = AuditEntry.objects.first()
    assert (
        client.get(f"/admin/dashboard/auditentry/{entry.pk}/delete/").status_code == 403
    )


def test_members_of_a_domain_do_not_get_the_admin(client, world):
    as_user(client, world.people["admin"])
    assert client.get("/admin/").status_code == 302


def test_a_denial_is_logged_with_the_request_id(client, world):
    import io
    import json
    import logging

    from config.logging import json_formatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("dashboard.domains.services")
    logger.addHandler(handler)
    try:
        as_user(client, world.outsider)
        response = client.get(url("domain-detail", "alpha-zq"))
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    denied = [line for line in lines if line["event"] == "permission denied"]
    assert len(denied) == 1
    assert denied[0]["request_id"] == response["X-Request-ID"]
    assert (denied[0]["domain"], denied[0]["status_code"]) == ("alpha-zq", 404)
    assert denied[0]["user"] == "markerb-admin"


def test_dead_letters_page_is_for_staff_and_survives_a_bad_cursor(client, world):
    as_user(client, world.people["admin"])
    assert client.get("/ops/dead-letters/").status_code == 302  # to the admin login
    as_user(client, world.superuser)
    assert client.get("/ops/dead-letters/").status_code == 200
    response = client.get("/ops/dead-letters/", {"cursor": "garbage"})
    assert response.status_code == 400
    assert "start again without one" in response.content.decode()


def test_the_last_admin_cannot_be_demoted_or_removed(client, world):
    admin = world.people["admin"]
    own = Membership.objects.get(user=admin, domain=world.a)
    as_user(client, admin)
    demote = client.post(
        url("member-role", "alpha-zq", pk=own.pk),
        {"role": "viewer"},
        HTTP_HX_REQUEST="true",
    )
    assert demote.status_code == 422
    assert "only admin" in demote.content.decode()
    response = client.post(url("member-remove", "alpha-zq", pk=own.pk), follow=True)
    assert "markera-admin is this domain&#x27;s only admin" in response.content.decode()
    via_add = client.post(
        url("member-add", "alpha-zq"), {"username": "markera-admin", "role": "engineer"}
    )
    assert via_add.status_code == 422 and "only admin" in via_add.content.decode()
    own.refresh_from_db()
    assert own.role == "admin"
    # With a second admin, stepping down is fine.
    second = Membership.objects.get(user=world.people["engineer"], domain=world.a)
    client.post(url("member-role", "alpha-zq", pk=second.pk), {"role": "admin"})
    response = client.post(url("member-remove", "alpha-zq", pk=own.pk))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_domain_page_links_to_the_domains_other_pages(client, world):
    from dashboard.domains.views import DOMAIN_PAGE_ACTIONS, DOMAIN_PAGES

    # A viewer gets every page they may open, and no link to a 403; an admin
    # gets them all.
    for role, shown in (
        ("viewer", lambda name: name not in DOMAIN_PAGE_ACTIONS),
        ("admin", lambda name: True),
    ):
        text = (
            as_user(client, world.people[role])
            .get(url("domain-detail", "alpha-zq"))
            .content.decode()
        )
        for label, name in DOMAIN_PAGES:
            link = f'href="{reverse(name, kwargs={"slug": "alpha-zq"})}">{label}</a>'
            assert (link in text) == shown(name), (role, label)


def test_a_wrong_password_is_refused_with_a_message(client, world):
    response = client.post(
        "/login/", {"username": world.people["viewer"].username, "password": "nope"}
    )
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_view_cannot_declare_an_action_the_policy_does_not_know():
    from dashboard.domains.access import domain_view

    with pytest.raises(ValueError):
        domain_view("launch_missiles")
