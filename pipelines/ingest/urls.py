"""Ingestion URLs: the /api/v1 endpoints and the CI pages under /d/<slug>/.
Included once from config/urls.py (namespace "pipelines")."""

from django.urls import path

from pipelines import openapi
from pipelines.ingest import api, views

app_name = "pipelines"

urlpatterns = [
    # API
    path("api/v1/openapi.json", openapi.document, name="api-openapi"),
    path("api/v1/docs", openapi.docs, name="api-docs"),
    path("api/v1/webhooks/github", api.github_webhook, name="api-github-webhook"),
    path("api/v1/ci/runs", api.ci_runs, name="api-runs"),
    path("api/v1/ci/runs/<int:pk>", api.ci_run, name="api-run"),
    path("api/v1/ci/runs/<int:pk>/junit", api.ci_run_junit, name="api-run-junit"),
    path("api/v1/ci/reports/<int:pk>", api.ci_report, name="api-report"),
    path("api/v1/perf", api.perf_samples, name="api-perf"),
    path("api/v1/query-plans", api.query_plans, name="api-query-plans"),
    # Pages
    path("d/<slug:slug>/runs/", views.run_list, name="runs"),
    path("d/<slug:slug>/runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("d/<slug:slug>/deliveries/", views.delivery_list, name="deliveries"),
    path(
        "d/<slug:slug>/deliveries/<int:pk>/replay",
        views.delivery_replay,
        name="delivery-replay",
    ),
    path(
        "ops/deliveries/unmapped/",
        views.unmapped_delivery_list,
        name="unmapped-deliveries",
    ),
    path(
        "ops/deliveries/<int:pk>/replay",
        views.unmapped_delivery_replay,
        name="unmapped-delivery-replay",
    ),
]
