"""The project package: settings, URLs, and the WSGI and Celery apps."""

# Load the Celery app whenever Django starts, so that @shared_task uses it.
from .celery import app as celery_app

__all__ = ("celery_app",)
