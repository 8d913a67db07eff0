"""Pages for budgets, gates and flaky tests under /d/<slug>/ (their /api/v1
endpoints are the ninja router in pipelines/gates/api.py). Included once from
config/urls.py (namespace "gates")."""

from django.urls import path

from pipelines.gates import views as views_gates

app_name = "gates"

urlpatterns = [
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
