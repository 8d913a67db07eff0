"""URLs of the domain dashboard, its panels, exports and the plotly bundle
(included by config/urls.py, in the "dash" namespace)."""

from django.urls import path

from dashboard.board import exports
from dashboard.board import views as views_dashboard

app_name = "dash"

urlpatterns = [
    # Mounted before dashboard.domains' urls: "/" is the overview (the name
    # dashboard:domain-list still reverses to it).
    path("", views_dashboard.overview, name="overview"),
    path("d/<slug:slug>/dashboard/", views_dashboard.dashboard_page, name="dashboard"),
    path(
        "d/<slug:slug>/dashboard/<slug:panel>/",
        views_dashboard.dashboard_panel,
        name="dashboard-panel",
    ),
    path("d/<slug:slug>/exports/", exports.export_list, name="export-list"),
    path(
        "d/<slug:slug>/exports/<int:pk>/", exports.export_detail, name="export-detail"
    ),
    path(
        "d/<slug:slug>/exports/<int:pk>/download",
        exports.export_download,
        name="export-download",
    ),
    path("bench/noop", views_dashboard.bench_noop, name="bench-noop"),
    path(
        "bench/floor/webhook",
        views_dashboard.bench_floor_webhook,
        name="bench-floor-webhook",
    ),
]
