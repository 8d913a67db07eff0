"""SLO pages under /d/<slug>/slos/ (the API is the router in slos/api.py)."""

from django.urls import path

from slos import views

app_name = "slos"

urlpatterns = [
    path("control-plane/", views.control_plane, name="control-plane"),
    path("d/<slug:slug>/slos/", views.slo_list, name="slo-list"),
    path("d/<slug:slug>/slos/new/", views.slo_create, name="slo-create"),
    path("d/<slug:slug>/slos/<int:pk>/", views.slo_detail, name="slo-detail"),
    path("d/<slug:slug>/slos/<int:pk>/edit", views.slo_edit, name="slo-edit"),
]
