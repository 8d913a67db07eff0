"""load_demo adds pins to acme/payments-api once: a prompt rolling out at 25 %,
a model, and eve's proposal waiting on rita (an owner of the prompt)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from pipelines.pins.models import Pin, Proposal, Rollout
from pipelines.pins.selectors import inbox_for

pytestmark = pytest.mark.django_db


def test_load_demo_adds_pins_once(tmp_path):
    out = open(tmp_path / "out", "w")  # noqa: SIM115
    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)
    assert Pin.objects.count() == 2 and Rollout.objects.count() == 1
    summary = Pin.objects.get(pin_id="checkout-summary")
    assert summary.candidate is not None and summary.traffic_pct == 25
    # (The demo incident's learning waits as a draft beside it.)
    proposal = Proposal.objects.exclude(state="draft").get()
    assert proposal.review_state == "pending"
    assert (
        proposal.review_reason
        == "0 of 1 approvals; an owner of checkout-summary must approve"
    )
    rita = get_user_model().objects.get(username="rita")
    assert list(inbox_for(rita)) == [proposal]


def test_the_demo_rollout_shows_its_split_by_version(client, tmp_path):
    from django.urls import reverse

    from pipelines.pins.split import rollout_split
    from slos.models import SliHour, SliPoint

    call_command("load_demo", stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    rollout = Rollout.objects.select_related(
        "pin__repository", "from_version", "to_version", "domain"
    ).get()
    split = rollout_split(rollout)
    [latency] = split.latency
    assert latency.cells["stable"].samples == latency.cells["candidate"].samples == 8
    assert latency.cells["candidate"].p95_ms > latency.cells["stable"].p95_ms
    [errors] = split.errors
    assert errors.guard and errors.slo_name == "checkout-latency"
    assert errors.cells["candidate"].error_rate > errors.cells["stable"].error_rate
    # The SLO's hourly sums still hold every point, tagged or not.
    slo = rollout.domain.slos.get(name="checkout-latency")
    from django.db.models import Sum

    points = SliPoint.objects.filter(slo=slo).aggregate(t=Sum("total"))["t"]
    assert SliHour.objects.filter(slo=slo).aggregate(t=Sum("total"))["t"] == points
    client.force_login(get_user_model().objects.get(username="rita"))
    page = client.get(
        reverse("pins:pin", kwargs={"slug": rollout.domain.slug, "pk": rollout.pin_id})
    ).content.decode()
    assert "By pin version since the rollout started" in page
    assert 'data-role="candidate" data-metric="p95"' in page
