"""The project package: settings, URLs, and the WSGI and Celery apps."""

from groundwork.error_reporting import start_error_reporting

# Every process (web, scheduler, worker, release, manage.py) loads this package
# first: each reports its unhandled errors once SENTRY_DSN is set.
start_error_reporting()

# Load the Celery app whenever Django starts, so that @shared_task uses it.
from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
