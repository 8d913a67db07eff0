"""/healthz (the process answers) and /readyz (its dependencies answer)."""

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from dashboard.platform.caching import cache_status


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database_status(alias: str) -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "down"


def _broker_status() -> str:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=1,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
        return "ok"
    except Exception:
        return "down"


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": _database_status("default"),
        "replica": _database_status("replica"),
        "cache": cache_status(),
        "broker": _broker_status(),
    }
    hard = [checks["database"], checks["replica"], checks["broker"]]
    if "down" in hard:
        status, code = "down", 503
    elif checks["cache"] != "ok":
        status, code = "degraded", 200  # slower pages, nothing broken
    else:
        status, code = "ok", 200
    body: dict = {"status": status, "checks": checks}
    # Not a failure of this process, but nothing from GitHub gets in without it.
    if not settings.GITHUB_WEBHOOK_SECRET:
        checks["github_webhooks"] = "no secret configured"
        body["notes"] = [
            "GITHUB_WEBHOOK_SECRET is not set: every GitHub webhook delivery is "
            "refused with 401 until it is."
        ]
    else:
        checks["github_webhooks"] = "ok"
    if settings.DEBUG:
        body["broker_url"] = settings.CELERY_BROKER_URL.split("@")[-1]
    return JsonResponse(body, status=code)
