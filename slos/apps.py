from django.apps import AppConfig


class SlosConfig(AppConfig):
    name = "slos"
    verbose_name = "SLOs and error budgets"

    def ready(self) -> None:
        from dashboard.board.panels import panel_register
        from slos import (
            panels,
            tasks,  # noqa: F401  (registers the tasks)
        )

        panel_register(panels.SLOS)
