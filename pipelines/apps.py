from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "pipelines"

    def ready(self) -> None:
        from pipelines import tasks  # noqa: F401  (registers every package's tasks)
        from pipelines.gates.services.gates import commit_evidence_received
        from pipelines.ingest.signals import commit_evidence_changed

        # Gates are judged again whenever ingestion changes a commit's evidence.
        commit_evidence_changed.connect(
            commit_evidence_received, dispatch_uid="gates.commit_evidence"
        )
        # The gates' endpoints are described beside the ingestion ones.
        from pipelines import openapi

        if "pipelines.gates.openapi" not in openapi.FRAGMENTS:
            openapi.FRAGMENTS.append("pipelines.gates.openapi")
