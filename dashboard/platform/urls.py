"""Operator pages of the platform (namespace "platform")."""

from django.urls import path

from dashboard.platform import views

app_name = "platform"

urlpatterns = [
    path("ops/dead-letters/", views.dead_letter_list, name="dead-letter-list"),
    path(
        "ops/dead-letters/<int:pk>/replay",
        views.dead_letter_replay,
        name="dead-letter-replay",
    ),
]
