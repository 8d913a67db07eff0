"""Posting SLO alert transitions to a domain's webhook (the one outgoing HTTP
call of the SLOs). Signed like GitHub's webhooks; a timeout, a connection error
or a 5xx may pass (retried with backoff), any other refusal will not (a dead
letter at once, replayable)."""

import hashlib
import hmac
import json
import secrets

import requests
from django.conf import settings

from config.tasks import PermanentError, TransientError
from slos.models import AlertWebhook, SloAlert

SIGNATURE_HEADER = "X-ControlPlane-Signature-256"
# The task services enqueue by name (slos/tasks.py declares it).
POST_ALERT_TASK = "slos.post_alert"


def signature_for(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def alert_payload(alert: SloAlert, change: str) -> dict:
    slo = alert.slo
    return {
        "change": change,  # fired | resolved
        "domain": slo.domain.slug,
        "slo": slo.name,
        "service": slo.service,
        "objective": slo.objective,
        "severity": alert.severity,
        "long_window": alert.long_window,
        "short_window": alert.short_window,
        "factor": alert.factor,
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "fired_long_burn": alert.fired_long_burn,
        "fired_short_burn": alert.fired_short_burn,
    }


def alert_post(*, alert_id: int, change: str) -> bool:
    """POST one transition; False when the domain has no webhook (nothing to do)."""
    alert = SloAlert.objects.select_related("slo__domain").filter(pk=alert_id).first()
    if alert is None:
        raise PermanentError(f"SLO alert {alert_id} does not exist.")
    hook = AlertWebhook.objects.filter(domain=alert.slo.domain).first()
    if hook is None:
        return False
    body = json.dumps(alert_payload(alert, change), sort_keys=True).encode()
    try:
        response = requests.post(
            hook.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature_for(body, hook.secret),
                "User-Agent": "controlplane-slo-alerts",
            },
            timeout=settings.SLO_WEBHOOK_TIMEOUT_SECONDS,
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientError(f"{hook.url}: {exc}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientError(f"{hook.url} answered {response.status_code}")
    if response.status_code >= 300:
        raise PermanentError(
            f"{hook.url} refused the alert with {response.status_code}: "
            f"{response.text[:200]}"
        )
    return True
