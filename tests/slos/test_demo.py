"""load_demo gives the payments domain SLOs with a week of points and a fired
page from a recent outage, once (a second run adds nothing)."""

import pytest
from django.core.management import call_command

from slos.models import SliPoint, Slo, SloAlert

pytestmark = pytest.mark.django_db


def test_load_demo_adds_slos_with_history_once(tmp_path):
    call_command("load_demo", stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    slos = set(Slo.objects.values_list("domain__slug", "name"))
    assert slos == {
        ("payments", "checkout-availability"),
        ("payments", "checkout-latency"),
    }
    # A week of minutes per SLO, untagged; the pins' demo adds its rollout's
    # points tagged with the pin's versions beside them.
    assert SliPoint.objects.filter(pin_id="").count() == 2 * 7 * 24 * 60
    assert SliPoint.objects.exclude(pin_id="").exists()
    points = SliPoint.objects.count()
    page = SloAlert.objects.get(slo__name="checkout-availability", long_window="1h")
    assert page.resolved_at is not None  # fired in the outage, resolved since
    alerts = SloAlert.objects.count()
    call_command("load_demo", stdout=open(tmp_path / "again", "w"))  # noqa: SIM115
    assert SliPoint.objects.count() == points
    assert SloAlert.objects.count() == alerts
