"""Top-level URLs: health, the API (/api/v1/, django-ninja), the web pages, the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard import health
from dashboard.api_base import api
from pipelines import api as pipelines_api
from pipelines import api_gates

# The /api/v1 routers, one per area; each documents itself in /api/v1/openapi.json.
api.add_router("", pipelines_api.router)
api.add_router("", api_gates.router)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("", include("pipelines.urls")),  # CI pages
    path("", include("pipelines.urls_gates")),
    path("", include("dashboard.urls_dashboard")),
    path("", include("dashboard.urls")),
]
