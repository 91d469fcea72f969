"""The generated project's own tests (pytest-django reads this module)."""

from django.core.management.utils import get_random_secret_key

from groundwork.addons import database_from_env

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL

SECRET_KEY = get_random_secret_key()  # a new one each run: nothing to keep secret
ALLOWED_HOSTS = ["testserver"]

# DATABASE_URL, when set, runs the tests against that server (e.g. PostgreSQL).
DATABASES = {"default": database_from_env(f"sqlite:///{BASE_DIR / 'test.sqlite3'}")}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Run tasks inline, in the test process, raising their errors. The broker answers
# /health/ and carries the worker test's task (tests/test_worker.py): the one
# CELERY_BROKER_URL (or the add-on's variable) names when set, as in CI, else
# Celery's in-memory broker.
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Every request to /health/ checks afresh.
HEALTH_CHECK_INTERVAL = 0

# Hashing passwords slowly is the point in production and a waste in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
