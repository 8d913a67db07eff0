"""URLs for budgets, gates and flaky tests: pages under /d/<slug>/, API under
/api/v1/. Included once from config/urls.py (namespace "gates")."""

from django.urls import path, register_converter

from pipelines import api_gates, views_gates


class BudgetKind:
    """perf | query-plans in the URL; perf | query_plans in the document."""

    regex = "perf|query-plans"

    def to_python(self, value: str) -> str:
        return value.replace("-", "_")

    def to_url(self, value: str) -> str:
        return value.replace("_", "-")


register_converter(BudgetKind, "budget_kind")

app_name = "gates"

urlpatterns = [
    path("api/v1/budgets", api_gates.budgets, name="api-budgets"),
    path("api/v1/gates/<str:sha>", api_gates.gates_for_commit, name="api-gates"),
    path("api/v1/flaky-tests", api_gates.flaky_tests, name="api-flaky-tests"),
    path("d/<slug:slug>/budgets/", views_gates.budgets, name="budgets"),
    path(
        "d/<slug:slug>/budgets/<budget_kind:kind>/",
        views_gates.budget_set,
        name="budget-set",
    ),
    path(
        "d/<slug:slug>/budgets/<budget_kind:kind>/remove",
        views_gates.budget_remove,
        name="budget-remove",
    ),
    path("d/<slug:slug>/flaky-tests/", views_gates.flaky_tests, name="flaky-tests"),
    path("d/<slug:slug>/commits/<str:sha>/", views_gates.commit_gates, name="commit"),
]
