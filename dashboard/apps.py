from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Domains and dashboard"

    def ready(self) -> None:
        from config.tasks import task_failed_for_good
        from dashboard import tasks  # noqa: F401  (registers every package's tasks)
        from dashboard.platform.services import task_failure_received

        # A task whose attempts are spent becomes a replayable dead letter.
        task_failed_for_good.connect(
            task_failure_received, dispatch_uid="platform.dead_letters"
        )
