"""URLs for budgets, gates and flaky tests: pages under /d/<slug>/, API under
/api/v1/. Included once from config/urls.py (namespace "gates")."""

from django.urls import path

from pipelines.gates import api as api_gates
from pipelines.gates import views as views_gates

app_name = "gates"

urlpatterns = [
    path("api/v1/budgets", api_gates.budgets, name="api-budgets"),
    path("api/v1/gates/<str:sha>", api_gates.gates_for_commit, name="api-gates"),
    path("api/v1/flaky-tests", api_gates.flaky_tests, name="api-flaky-tests"),
    path("d/<slug:slug>/budgets/", views_gates.budgets, name="budgets"),
    path(
        "d/<slug:slug>/budgets/perf/",
        views_gates.budget_set,
        {"kind": "perf"},
        name="perf-budget-set",
    ),
    path(
        "d/<slug:slug>/budgets/perf/remove",
        views_gates.budget_remove,
        {"kind": "perf"},
        name="perf-budget-remove",
    ),
    path(
        "d/<slug:slug>/budgets/query-plans/",
        views_gates.budget_set,
        {"kind": "query_plans"},
        name="plan-budget-set",
    ),
    path(
        "d/<slug:slug>/budgets/query-plans/remove",
        views_gates.budget_remove,
        {"kind": "query_plans"},
        name="plan-budget-remove",
    ),
    path("d/<slug:slug>/flaky-tests/", views_gates.flaky_tests, name="flaky-tests"),
    path("d/<slug:slug>/commits/<str:sha>/", views_gates.commit_gates, name="commit"),
]
