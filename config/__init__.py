"""Project configuration: settings, URLs, Celery app, database router, logging."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
