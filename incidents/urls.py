"""Incident pages under /d/<slug>/incidents/ (the API is incidents/api.py)."""

from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("d/<slug:slug>/incidents/", views.incident_list, name="incident-list"),
    path(
        "d/<slug:slug>/incidents/<int:pk>/",
        views.incident_detail,
        name="incident-detail",
    ),
    path(
        "d/<slug:slug>/incidents/deliveries/",
        views.monitor_delivery_list,
        name="monitor-deliveries",
    ),
    path(
        "d/<slug:slug>/incidents/deliveries/<int:pk>/replay",
        views.monitor_delivery_replay,
        name="monitor-delivery-replay",
    ),
    path(
        "ops/monitor-deliveries/unmapped/",
        views.unmapped_monitor_delivery_list,
        name="unmapped-monitor-deliveries",
    ),
    path(
        "ops/monitor-deliveries/<int:pk>/replay",
        views.unmapped_monitor_delivery_replay,
        name="unmapped-monitor-delivery-replay",
    ),
]
