"""The stored DORA summary of each domain (DoraSummary): the four keys over the
last 30 days, computed by incidents/dora.py (the one definition of the keys)
so that the overview reads every domain's keys in one query. The beat refreshes
every domain each DORA_SUMMARY_SECONDS; a change to a domain's deployments or
incidents asks for a refresh of that domain (at most one pending per domain)."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from config.tasks import enqueue_on_commit
from dashboard.domains.models import Domain
from dashboard.platform.caching import cache_add, invalidate
from incidents import dora
from incidents.models import DoraBand, DoraSummary

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=30)
# Worst first: the overall band is the worst band among the keys that have one.
_ORDER = [DoraBand.LOW, DoraBand.MEDIUM, DoraBand.HIGH, DoraBand.ELITE]
REFRESH_TASK = "incidents.dora_summary_refresh"


def overall_band(*bands: str | None) -> str:
    """The worst of the bands given; "" when none is given."""
    known = [b for b in bands if b]
    return min(known, key=_ORDER.index) if known else ""


@transaction.atomic
def dora_summary_refresh(*, domain: Domain, now: datetime | None = None) -> DoraSummary:
    """Compute the domain's keys over [now − 30 days, now) and store them."""
    end = now or timezone.now()
    start = end - WINDOW
    facts = dora.dora_facts(domain, start=start, end=end)
    keys = dora.keys_between(dora.observations(facts), start, end)
    # Without any production deployment (in the window or the 90 days before it
    # that dora_facts reads), "0 a day, low" would judge a domain that does not
    # report deployments: it has no deployment frequency.
    deploys = bool(facts.deployments)
    frequency_band = keys.deployment_frequency_band if deploys else ""
    summary, _ = DoraSummary.objects.update_or_create(
        domain=domain,
        defaults={
            "window_start": start,
            "computed_at": end,
            "deployments": keys.deployments,
            "deployments_per_day": keys.deployments_per_day if deploys else None,
            "deployment_frequency_band": frequency_band,
            "lead_time_seconds": keys.lead_time_seconds,
            "lead_time_band": keys.lead_time_band or "",
            "lead_time_commits": keys.lead_time_commits,
            "production_deployments": keys.production_deployments,
            "failed_deployments": keys.failed_deployments,
            "change_failure_rate": keys.change_failure_rate,
            "change_failure_rate_band": keys.change_failure_rate_band or "",
            "time_to_restore_seconds": keys.time_to_restore_seconds,
            "time_to_restore_band": keys.time_to_restore_band or "",
            "restored_incidents": keys.restored_incidents,
            "mean_time_to_acknowledge_seconds": keys.mean_time_to_acknowledge_seconds,
            "overall_band": overall_band(
                frequency_band,
                keys.lead_time_band,
                keys.change_failure_rate_band,
                keys.time_to_restore_band,
            ),
        },
    )
    return summary


def dora_summaries_refresh(*, now: datetime | None = None) -> int:
    """Every domain's summary, each in its own transaction, over windows ending
    at the same instant; how many were stored."""
    now = now or timezone.now()
    count = 0
    for domain in Domain.objects.using("default").order_by("pk"):
        dora_summary_refresh(domain=domain, now=now)
        count += 1
    logger.info("dora summaries refreshed", extra={"domains": count})
    return count


def dora_summary_refresh_by_id(*, domain_id: int) -> bool:
    """The task's work: refresh one domain's summary (False: the domain is gone).
    Changes from here on ask for another refresh."""
    invalidate("dora.summary_pending", domain_id)
    domain = Domain.objects.using("default").filter(pk=domain_id).first()
    if domain is None:
        return False
    dora_summary_refresh(domain=domain)
    return True


def dora_summary_refresh_request(*, domain_id: int) -> None:
    """Ask for a refresh of the domain's summary after this transaction commits;
    one pending request per domain at a time (a burst of deployment statuses
    costs one refresh). The beat stays the safety net."""
    if cache_add("dora.summary_pending", domain_id):
        enqueue_on_commit(REFRESH_TASK, domain_id)
