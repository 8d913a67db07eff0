from django.apps import AppConfig

GATES_LISTENER = "pipelines.services.gates.gates_evaluate_enqueue"


class PipelinesConfig(AppConfig):
    name = "pipelines"

    def ready(self) -> None:
        # Celery autodiscovers pipelines.tasks only; the gate tasks live beside it
        # and must be registered in every worker.
        import pipelines.tasks_gates  # noqa: F401
        from pipelines.services import runs

        # Gates are judged again whenever ingestion changes a commit's CI data.
        if GATES_LISTENER not in runs.COMMIT_DATA_LISTENERS:
            runs.COMMIT_DATA_LISTENERS.append(GATES_LISTENER)
