"""Ingestion pages under /d/<slug>/ (the /api/v1 endpoints are the ninja router
in pipelines/ingest/api.py). Included once from config/urls.py (namespace "pipelines")."""

from django.urls import path

from pipelines.ingest import views

app_name = "pipelines"

urlpatterns = [
    path("d/<slug:slug>/runs/", views.run_list, name="runs"),
    path("d/<slug:slug>/runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("d/<slug:slug>/deliveries/", views.delivery_list, name="deliveries"),
    path("d/<slug:slug>/perf-samples/", views.perf_samples, name="perf-samples"),
    path("d/<slug:slug>/query-plans/", views.query_plans, name="query-plans"),
    path("d/<slug:slug>/settings/", views.domain_settings, name="domain-settings"),
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
