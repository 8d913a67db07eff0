"""Demo budgets for `python manage.py load_demo`."""

from dashboard.domains.models import Domain
from pipelines.gates.services import budgets

# What a team would keep in its repository and PUT to /api/v1/budgets.
DEMO_BUDGETS = {
    "perf": [
        {
            "scenario": "checkout",
            "p95_ms_max": 250,
            "memory_mb_max": 500,
            "max_regression_pct": 20,
        }
    ],
    "query_plans": [
        {
            "query_name": "orders_by_customer",
            "max_total_cost": 5000,
            "no_seq_scan_tables": ["orders"],
        }
    ],
}


def load(sender: object = None, **_: object) -> None:
    """Receiver of dashboard.signals.demo_loaded (connected in pipelines/apps.py):
    the payments domain's budgets, so its dashboard draws budget lines."""
    payments = Domain.objects.filter(slug="payments").first()
    if payments is not None:
        budgets.budgets_replace(
            domain=payments, document=DEMO_BUDGETS, actor_label="demo"
        )
