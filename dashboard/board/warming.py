"""Filling the dashboard's panel caches the way a user would: by requesting the
pages (through Django's whole stack, as a staff user), so after a deploy the
first engineer does not pay for the cold cache."""

import logging
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from config.tasks import task_options
from dashboard.board.panels import PANELS
from dashboard.board.panels.common import DEFAULT_RANGE
from dashboard.domains.models import Domain

logger = logging.getLogger(__name__)


@dataclass
class WarmResult:
    requests: int = 0
    failures: int = 0


def staff_user(username: str | None = None):
    User = get_user_model()
    users = User.objects.filter(is_active=True, is_superuser=True)
    if username:
        users = users.filter(username=username)
    return users.order_by("pk").first()


def caches_warm(
    *, user, slugs: list[str] | None = None, ranges: list[str] | None = None
) -> WarmResult:
    """Request every domain's dashboard and each of its panels for each range."""
    host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*"), "localhost")
    client = Client(HTTP_HOST=host.lstrip("."), raise_request_exception=False)
    client.force_login(user)
    secure = not settings.DEBUG and getattr(settings, "SECURE_SSL_REDIRECT", False)
    domains = Domain.objects.order_by("slug")
    if slugs:
        domains = domains.filter(slug__in=slugs)
    result = WarmResult()
    for slug in domains.values_list("slug", flat=True):
        for range_key in ranges or [DEFAULT_RANGE]:
            urls = [(reverse("dash:dashboard", args=[slug]), {})] + [
                (
                    reverse("dash:dashboard-panel", args=[slug, panel]),
                    {"HTTP_HX_REQUEST": "true"},
                )
                for panel in PANELS
            ]
            for url, headers in urls:
                response = client.get(
                    url, {"range": range_key}, secure=secure, **headers
                )
                result.requests += 1
                if response.status_code != 200:
                    result.failures += 1
                    logger.warning(
                        "warming a page failed",
                        extra={"url": url, "status": response.status_code},
                    )
    client.logout()
    return result


@shared_task(name="dashboard.warm_caches", **task_options(max_retries=0))
def warm_caches_task(self, slugs: list[str] | None = None) -> int:
    user = staff_user()
    if user is None:
        return 0
    return caches_warm(user=user, slugs=slugs).requests
