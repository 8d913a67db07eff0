from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents, postmortems and DORA"

    def ready(self) -> None:
        """Plug incidents into what they are built on: ingestion's deployment and
        push signals (the DORA facts), the dashboard's panel, overview column,
        chart annotations and demo data."""
        from dashboard.board.annotations import annotation_source_register
        from dashboard.board.overview import overview_column_register
        from dashboard.board.panels import panel_register
        from dashboard.signals import demo_loaded
        from incidents import (
            annotations,
            demo,
            overview,
            panels,
            tasks,  # noqa: F401  (registers the tasks)
        )
        from incidents.services import dora_facts
        from pipelines.ingest.signals import deployment_status_seen, push_received

        deployment_status_seen.connect(
            dora_facts.deployment_status_received, dispatch_uid="incidents.dora"
        )
        push_received.connect(
            dora_facts.push_received, dispatch_uid="incidents.commits"
        )
        panel_register(panels.DORA, panels.INCIDENTS)
        overview_column_register(overview.INCIDENTS, overview.DORA)
        # Incidents are drawn on the domain's time charts.
        annotation_source_register(annotations.INCIDENTS)
        demo_loaded.connect(demo.load, dispatch_uid="incidents.demo")
        # Incidents is the last app: every other demo receiver ran before this.
        demo_loaded.connect(demo.summaries, dispatch_uid="incidents.demo_dora")
