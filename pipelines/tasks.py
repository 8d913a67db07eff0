"""The pipelines app's tasks module: Celery's autodiscovery imports it, so it
names every package's tasks (each package owns its own)."""

from pipelines.drift import tasks as drift_tasks
from pipelines.gates import tasks as gates_tasks
from pipelines.ingest import tasks as ingest_tasks
from pipelines.pins import tasks as pins_tasks

__all__ = ["drift_tasks", "gates_tasks", "ingest_tasks", "pins_tasks"]
