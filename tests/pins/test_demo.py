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
