"""/healthz and /readyz as JSON."""

import pytest


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": "ok",
        "replica": "ok",
        "cache": "ok",
        "broker": "ok",
        "github_webhooks": "ok",  # a secret is configured (test settings)
    }


@pytest.mark.django_db
def test_readyz_is_down_when_the_broker_is(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "down"
