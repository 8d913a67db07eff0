"""Demo SLOs for `python manage.py load_demo`: two payments SLOs with a week of
SLI minutes, one of them burning through an outage two hours ago."""

from datetime import timedelta

from django.utils import timezone

from dashboard.domains.models import Domain
from slos.models import SliPoint, Slo
from slos.services import SliCounts, sli_points_record, slos_evaluate, slos_import

DEMO_SLOS = """\
version: "prometheus/v1"
service: "checkout-api"
slos:
  - name: "checkout-availability"
    objective: 99.9
    description: "Checkout answers without a 5xx."
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutAvailability
  - name: "checkout-latency"
    objective: 99
    description: "Checkout answers within 500 ms."
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}])) - sum(rate(http_request_duration_seconds_bucket{job="checkout",le="0.5"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutLatency
"""
MINUTES = 7 * 24 * 60


def load(sender: object = None, **_: object) -> None:
    """Receiver of dashboard.signals.demo_loaded (connected in slos/apps.py).
    Idempotent: definitions are upserted, points keyed by (slo, minute)."""
    payments = Domain.objects.filter(slug="payments").first()
    if payments is None:
        return
    slos_import(domain=payments, text=DEMO_SLOS, actor_label="demo")
    now = timezone.now().replace(second=0, microsecond=0)
    outage = range(120, 135)  # minutes ago: a quarter hour of 5xx
    for slo in Slo.objects.filter(domain=payments):
        # Untagged points only: the pins' demo tags some of a rollout's own.
        if SliPoint.objects.filter(
            slo=slo, ts__gt=now - timedelta(hours=1), pin_id=""
        ).exists():
            continue
        burning = slo.name == "checkout-availability"
        sli_points_record(
            slo=slo,
            points=[
                SliCounts(
                    ts=now - timedelta(minutes=m),
                    good=(700 if burning and m in outage else 999 - m % 3),
                    total=1000,
                )
                for m in range(MINUTES)
            ],
        )
    for minutes_ago in (130, 0):
        slos_evaluate(at=now - timedelta(minutes=minutes_ago))
