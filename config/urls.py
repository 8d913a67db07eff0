"""Top-level URLs: health, the API (/api/v1/, django-ninja), the web pages, the
admin. The composition root: the one module that mounts every app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard.platform import health, views
from dashboard.platform.api import api
from incidents import api as incidents_api
from pipelines.drift import api as drift_api
from pipelines.gates import api as gates_api
from pipelines.ingest import api as ingest_api
from pipelines.pins import api as pins_api
from slos import api as slos_api

# The /api/v1 routers, one per area; each documents itself in /api/v1/openapi.json.
api.add_router("", ingest_api.router)
api.add_router("", gates_api.router)
api.add_router("", slos_api.router)
api.add_router("", incidents_api.router)
api.add_router("", pins_api.router)
api.add_router("", drift_api.router)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("", include("pipelines.ingest.urls")),  # CI pages
    path("", include("pipelines.gates.urls")),
    path("", include("pipelines.pins.urls")),
    path("", include("pipelines.drift.urls")),
    path("", include("slos.urls")),
    path("", include("incidents.urls")),
    path("", include("dashboard.board.urls")),
    path("", include("dashboard.domains.urls")),
    path("", include("dashboard.platform.urls")),
]

handler400 = views.bad_request
