from django.apps import AppConfig


class SlosConfig(AppConfig):
    name = "slos"
    verbose_name = "SLOs and error budgets"

    def ready(self) -> None:
        """Plug the SLOs into the dashboard: their panel and demo data."""
        from dashboard.board.overview import overview_column_register
        from dashboard.board.panels import panel_register
        from dashboard.signals import demo_loaded
        from slos import (
            demo,
            overview,
            panels,
            tasks,  # noqa: F401  (registers the tasks)
        )

        panel_register(panels.SLOS)
        overview_column_register(overview.SLO_BUDGET, overview.FIRING_ALERTS)
        demo_loaded.connect(demo.load, dispatch_uid="slos.demo")
