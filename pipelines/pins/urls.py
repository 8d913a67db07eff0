"""Pins pages under /d/<slug>/ and the reviewer's inbox (their /api/v1
endpoints are the ninja router in pipelines/pins/api.py). Included once from
config/urls.py (namespace "pins")."""

from django.urls import path

from pipelines.pins import views

app_name = "pins"

urlpatterns = [
    path("d/<slug:slug>/pins/<int:pk>/", views.pin_detail, name="pin"),
    path("d/<slug:slug>/pins/<int:pk>/propose", views.pin_propose, name="pin-propose"),
    path(
        "d/<slug:slug>/rollouts/<int:pk>/advance",
        views.rollout_advance,
        name="rollout-advance",
    ),
    path("d/<slug:slug>/proposals/", views.proposal_list, name="proposals"),
    path("d/<slug:slug>/proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("reviews/inbox/", views.inbox, name="inbox"),
]
