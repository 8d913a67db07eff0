"""The SLO panel of the domain dashboard (registered in SlosConfig.ready()):
error budget left and burn per SLO, firing alerts first."""

from django.utils import timezone

from dashboard.board.panels import Panel
from dashboard.board.panels.common import TimeRange
from slos.selectors import slo_overview


def build(domain_id: int, time_range: TimeRange) -> dict:
    # Each SLO is judged over its own window, not the dashboard's range.
    return slo_overview(domain_id, at=timezone.now())


SLOS = Panel("slos", "SLOs and error budgets", "panel.slos", build, lambda d: [])
