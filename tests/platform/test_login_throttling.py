"""Login throttling (django-axes): a username+IP pair that keeps guessing is
locked out, even with the right password, until the cool-off or an unlock."""

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
LIMIT = settings.AXES_FAILURE_LIMIT


def log_in(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        "/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


@pytest.fixture
def user():
    return UserFactory(username="mallory-target-ü")


def test_limit_is_the_documented_ten():
    assert LIMIT == 10


def test_wrong_passwords_lock_out_even_the_right_one_until_reset(client, user):
    for _ in range(LIMIT - 1):
        response = log_in(client, user.username, "not-the-password")
        assert response.status_code == 200  # the form again, with its error
    locked = log_in(client, user.username, "not-the-password")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert b"after 10 failed logins" in locked.content.replace(b"After", b"after")
    assert b"for 15 minutes after the last attempt" in locked.content
    assert "script-src 'self'" in locked["Content-Security-Policy"]

    refused = log_in(client, user.username, PASSWORD)
    assert refused.status_code == 429 and b"Too many failed logins" in refused.content
    assert not signed_in(client)

    call_command("axes_reset_username", user.username, verbosity=0)
    assert log_in(client, user.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_lockout_is_per_username_and_ip(client, user):
    for _ in range(LIMIT):
        log_in(client, user.username, "not-the-password", ip="198.51.100.66")
    assert (
        log_in(client, user.username, PASSWORD, ip="198.51.100.66").status_code == 429
    )
    # The same user from elsewhere, and another user from the guessing address.
    assert log_in(client, user.username, PASSWORD, ip="203.0.113.8").status_code == 302
    client.post("/logout/")
    other = UserFactory(username="bystander")
    assert (
        log_in(client, other.username, PASSWORD, ip="198.51.100.66").status_code == 302
    )


def test_a_success_resets_the_count(client, user):
    for _ in range(LIMIT - 1):
        log_in(client, user.username, "not-the-password")
    assert log_in(client, user.username, PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(LIMIT - 1):
        log_in(client, user.username, "not-the-password")
    assert log_in(client, user.username, PASSWORD).status_code == 302


def test_axes_reset_unlocks_everyone(client, user):
    for _ in range(LIMIT):
        log_in(client, user.username, "not-the-password")
    assert log_in(client, user.username, PASSWORD).status_code == 429
    call_command("axes_reset", verbosity=0)
    assert log_in(client, user.username, PASSWORD).status_code == 302


def test_behind_a_proxy_the_lockout_follows_the_forwarded_client(
    client, user, settings
):
    """Every request comes from the proxy's address; the client is the last
    X-Forwarded-For entry. What a client writes further left is ignored."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def via_proxy(password, forwarded):
        return client.post(
            "/login/",
            {"username": user.username, "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(LIMIT):
        # The guesser forges a new leftmost entry each time: no help.
        via_proxy("not-the-password", f"192.0.2.{n + 1}, 198.51.100.66")
    assert via_proxy(PASSWORD, "198.51.100.66").status_code == 429
    # The real user behind the same proxy is not locked out.
    assert via_proxy(PASSWORD, "203.0.113.8").status_code == 302


def test_without_trusted_proxies_a_forwarded_header_is_ignored(client, user):
    for n in range(LIMIT):
        client.post(
            "/login/",
            {"username": user.username, "password": "not-the-password"},
            REMOTE_ADDR="198.51.100.66",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )
    assert (
        log_in(client, user.username, PASSWORD, ip="198.51.100.66").status_code == 429
    )
