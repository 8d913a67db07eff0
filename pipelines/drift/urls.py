"""Schema drift pages under /d/<slug>/drift/ (the API is pipelines/drift/api.py).
Included once from config/urls.py (namespace "drift")."""

from django.urls import path

from pipelines.drift import views

app_name = "drift"

urlpatterns = [
    path("d/<slug:slug>/drift/", views.drift_targets, name="targets"),
    path("d/<slug:slug>/drift/<slug:name>/", views.drift_target, name="target"),
    path(
        "d/<slug:slug>/drift/<slug:name>/introspect",
        views.drift_introspect,
        name="introspect",
    ),
]
