"""The dashboard app's tasks module: Celery's autodiscovery imports it, so it
names every package's tasks (each package owns its own)."""

from dashboard.board import exports, rollups, warming
from dashboard.domains import tasks as domains_tasks
from dashboard.platform import tasks as platform_tasks

__all__ = ["domains_tasks", "exports", "platform_tasks", "rollups", "warming"]
