from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.domain_list, name="domain-list"),
    path("d/<slug:slug>/", views.domain_detail, name="domain-detail"),
    path("ops/dead-letters/", views.dead_letter_list, name="dead-letter-list"),
    path(
        "ops/dead-letters/<int:pk>/replay",
        views.dead_letter_replay,
        name="dead-letter-replay",
    ),
]
