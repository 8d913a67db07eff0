from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Domains and dashboard"

    def ready(self) -> None:
        from dashboard import tasks  # noqa: F401  (registers every package's tasks)
