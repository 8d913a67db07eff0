from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"
    verbose_name = "CI ingestion and gates"

    def ready(self) -> None:
        """Plug the pipelines' packages into the platform they are built on: the
        dashboard's panels, rollups, exports and demo data, and the gates into
        ingestion's signals. Everything here is a function call to follow."""
        from dashboard.board.annotations import annotation_source_register
        from dashboard.board.exports import exporter_register
        from dashboard.board.overview import overview_column_register
        from dashboard.board.panels import panel_register
        from dashboard.board.rollups import source_register
        from dashboard.signals import demo_loaded
        from pipelines import tasks  # noqa: F401  (registers every package's tasks)
        from pipelines.drift import demo as drift_demo
        from pipelines.drift import overview as drift_overview
        from pipelines.drift import panels as drift_panels
        from pipelines.gates import demo as gates_demo
        from pipelines.gates import overview as gates_overview
        from pipelines.gates import panels as gates_panels
        from pipelines.gates.services.gates import commit_evidence_received
        from pipelines.ingest import demo, exports, rollups
        from pipelines.ingest import overview as ingest_overview
        from pipelines.ingest import panels as ingest_panels
        from pipelines.ingest.signals import (
            commit_evidence_changed,
            pull_request_received,
            push_received,
        )
        from pipelines.pins import annotations as pins_annotations
        from pipelines.pins import demo as pins_demo
        from pipelines.pins import overview as pins_overview
        from pipelines.pins import panels as pins_panels
        from pipelines.pins.services import events as pins_events

        # Gates are judged again whenever ingestion changes a commit's evidence.
        commit_evidence_changed.connect(
            commit_evidence_received, dispatch_uid="gates.commit_evidence"
        )
        # Pins read a pull request's pins, and the default branch's after a push.
        pull_request_received.connect(
            pins_events.pull_request_received, dispatch_uid="pins.pull_request"
        )
        push_received.connect(pins_events.push_received, dispatch_uid="pins.push")
        # ...and the dashboard's rollups of that domain are topped up at once.
        commit_evidence_changed.connect(
            rollups.evidence_changed_touch, dispatch_uid="ingest.rollups_touch"
        )
        demo_loaded.connect(demo.load, dispatch_uid="pipelines.ingest.demo")
        demo_loaded.connect(gates_demo.load, dispatch_uid="pipelines.gates.demo")
        demo_loaded.connect(pins_demo.load, dispatch_uid="pipelines.pins.demo")
        demo_loaded.connect(drift_demo.load, dispatch_uid="pipelines.drift.demo")
        for source in rollups.SOURCES:
            source_register(source)
        exporter_register(exports.RUNS, exports.TEST_RESULTS)
        overview_column_register(
            ingest_overview.CI_PASS_RATE,
            gates_overview.FAILING_GATES,
            pins_overview.PENDING_REVIEWS,
            drift_overview.DRIFT,
        )
        # Pin moves are drawn on the domain's time charts.
        annotation_source_register(pins_annotations.PIN_MOVES)
        panel_register(
            ingest_panels.CI_HEALTH,
            gates_panels.PERF,
            gates_panels.QUERY_PLANS,
            gates_panels.GATES,
            gates_panels.FLAKY,
            pins_panels.PINS,
            drift_panels.DRIFT,
            ingest_panels.INGESTION,
        )
