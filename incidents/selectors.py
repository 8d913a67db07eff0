"""Reads of the incidents app, restricted to a domain the caller may see."""

from datetime import timedelta

from django.db.models import QuerySet

from dashboard.domains.models import Domain
from incidents.models import (
    ACTION_ITEM_OPEN_STATES,
    ActionItem,
    DraftProposal,
    Incident,
    MonitorDelivery,
)
from pipelines.ingest.models import Deployment, Run
from pipelines.pins.selectors import pin_changes_between


def incidents_of(domain: Domain) -> QuerySet[Incident]:
    return Incident.objects.filter(domain=domain).select_related(
        "deployment", "service", "repository"
    )


def deployment_of(domain: Domain, external_id: int) -> Deployment | None:
    return (
        Deployment.objects.filter(domain=domain, external_id=external_id)
        .order_by("-created_at")
        .first()
    )


def open_action_items(domain_id: int) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(
            domain_id=domain_id, state__in=ACTION_ITEM_OPEN_STATES
        )
        .select_related("postmortem__incident")
        .order_by("due_on", "id")
    )


def draft_proposals(domain_id: int) -> QuerySet[DraftProposal]:
    return DraftProposal.objects.filter(domain_id=domain_id).select_related("incident")


def deliveries_of(domain: Domain) -> QuerySet[MonitorDelivery]:
    return MonitorDelivery.objects.filter(domain=domain).defer("body")


def deliveries_unmapped() -> QuerySet[MonitorDelivery]:
    """Monitor deliveries no domain claims (staff only): services and
    integrations not mapped yet, and deliveries not processed yet."""
    return MonitorDelivery.objects.filter(domain__isnull=True).defer("body")


def deployments_before(incident: Incident, hours: int = 1) -> QuerySet[Deployment]:
    """The domain's deployments created in the hour before the incident began."""
    return (
        Deployment.objects.filter(
            domain_id=incident.domain_id,
            created_at__gte=incident.started_at - timedelta(hours=hours),
            created_at__lte=incident.started_at,
        )
        .select_related("repository")
        .order_by("-created_at")
    )


def pin_changes_before(incident: Incident, hours: int = 1) -> QuerySet:
    """The domain's pin rollout events in the hour before the incident began."""
    return pin_changes_between(
        incident.domain_id,
        since=incident.started_at - timedelta(hours=hours),
        until=incident.started_at,
    )


def runs_in_window(incident: Incident, limit: int = 50) -> QuerySet[Run]:
    """The domain's CI runs that started between an hour before the incident
    and its resolution (or now)."""
    from django.utils import timezone

    end = incident.resolved_at or timezone.now()
    return (
        Run.objects.filter(
            domain_id=incident.domain_id,
            started_at__gte=incident.started_at - timedelta(hours=1),
            started_at__lte=end,
        )
        .select_related("repository", "domain")
        .order_by("-started_at", "-id")[:limit]
    )


def slo_alerts_in_window(incident: Incident, limit: int = 50):
    """SLO alerts of the domain that fired between an hour before the incident
    and its resolution (or now)."""
    from django.utils import timezone

    from slos.models import SloAlert

    end = incident.resolved_at or timezone.now()
    return (
        SloAlert.objects.filter(
            slo__domain_id=incident.domain_id,
            fired_at__gte=incident.started_at - timedelta(hours=1),
            fired_at__lte=end,
        )
        .select_related("slo")
        .order_by("-fired_at")[:limit]
    )


def postmortem_of(incident: Incident):
    from incidents.models import Postmortem

    return Postmortem.objects.filter(incident=incident).first()
