"""load_demo gives the payments domain a month of deployments, the checkout
outage with its postmortem and a learning, and DORA keys to show; once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from dashboard.domains.models import Domain
from incidents import dora
from incidents.models import ActionItem, DraftProposal, Incident
from pipelines.ingest.models import Deployment

pytestmark = pytest.mark.django_db


def test_load_demo_adds_incidents_and_dora_facts_once(tmp_path):
    call_command("load_demo", stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    outage = Incident.objects.get(external_id="QDEMO0CHECKOUT")
    assert outage.status == "resolved" and outage.deployment is not None
    assert outage.domain.slug == "payments"
    assert ActionItem.objects.filter(postmortem__incident=outage).count() == 2
    assert DraftProposal.objects.filter(incident=outage).count() == 1
    domain = Domain.objects.get(slug="payments")
    now = timezone.now()
    keys = dora.dora_report(domain, start=now - timedelta(days=30), end=now).keys
    assert keys.deployments > 20 and keys.lead_time_seconds is not None
    assert keys.failed_deployments >= 1  # the one the outage names
    # The median of the outage (25 min) and the older SEV3 (2 h 5 min).
    assert keys.time_to_restore_seconds == (25 + 125) / 2 * 60
    counts = (
        Incident.objects.count(),
        Deployment.objects.count(),
        ActionItem.objects.count(),
    )
    call_command("load_demo", stdout=open(tmp_path / "again", "w"))  # noqa: SIM115
    assert (
        Incident.objects.count(),
        Deployment.objects.count(),
        ActionItem.objects.count(),
    ) == counts
