"""Top-level URLs: health, the API, the web pages, the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard.platform import health, views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("pipelines.ingest.urls")),  # /api/v1 ingestion and CI pages
    path("", include("pipelines.gates.urls")),
    path("", include("dashboard.board.urls")),
    path("", include("dashboard.domains.urls")),
    path("", include("dashboard.platform.urls")),
]

handler400 = views.bad_request
