"""Web pages of the dashboard app. Every domain-scoped URL takes <slug:slug> and is
covered automatically by tests/dashboard/test_leaks.py."""

from django.urls import path
from django.views.generic import RedirectView

from dashboard.domains import views

app_name = "dashboard"

urlpatterns = [
    # "/" is answered by the overview (dash:overview, mounted first in
    # config/urls.py, since dashboard.board sits above this package); the name
    # stays so every "Domains" link reverses to it.
    path("", RedirectView.as_view(pattern_name="dash:overview"), name="domain-list"),
    path("d/<slug:slug>/", views.domain_detail, name="domain-detail"),
    path("d/<slug:slug>/members/", views.member_add, name="member-add"),
    path(
        "d/<slug:slug>/members/<int:pk>/role",
        views.member_role,
        name="member-role",
    ),
    path(
        "d/<slug:slug>/members/<int:pk>/remove",
        views.member_remove,
        name="member-remove",
    ),
    path("d/<slug:slug>/tokens/", views.token_list, name="token-list"),
    path(
        "d/<slug:slug>/tokens/<int:pk>/revoke",
        views.token_revoke,
        name="token-revoke",
    ),
    path(
        "d/<slug:slug>/review-tokens/",
        views.review_token_create,
        name="review-token-create",
    ),
    path(
        "d/<slug:slug>/review-tokens/<int:pk>/revoke",
        views.review_token_revoke,
        name="review-token-revoke",
    ),
    path("d/<slug:slug>/audit/", views.audit_log, name="audit-log"),
]
