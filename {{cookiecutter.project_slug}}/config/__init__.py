"""The project package: settings, URLs, and the WSGI and Celery apps.

Every process loads this package first (gunicorn's config.wsgi, celery's --app
config, and manage.py, which imports it): the one place that says which settings
a process gets when nothing names them.
"""

import os

# Unset means production: Heroku's config and your .env name the module explicitly.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")

from groundwork.error_reporting import start_error_reporting

# Each process reports its unhandled errors once SENTRY_DSN is set.
start_error_reporting()

# Load the Celery app whenever Django starts, so that @shared_task uses it.
from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)
