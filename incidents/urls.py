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
]
