"""Production refuses to start in an unsafe environment.

manage.py, wsgi.py and celery.py call refuse_to_start_if_misconfigured() as the
release, web, scheduler and worker processes start. Only `collectstatic` skips
it: a build may run it before the app's config vars are set.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .broker import BROKER_VARIABLES

MIN_SECRET_KEY_LENGTH = 50
# What Django puts in DATABASES["default"] when nothing configured it.
NO_DATABASE_ENGINE = "django.db.backends.dummy"


def secret_key_problem(configured: Any) -> str:
    try:
        key = configured.SECRET_KEY
    except ImproperlyConfigured:  # Django's settings raise on an empty SECRET_KEY.
        key = ""
    if not key:
        return "SECRET_KEY is not set."
    if len(key) < MIN_SECRET_KEY_LENGTH or key.startswith("django-insecure"):
        return f"SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters."
    return ""


def production_problems(configured: Any = settings) -> list[str]:
    """What is unsafe or missing in `configured` (Django's settings, or a settings
    module as the tests load one), each naming the environment variable to fix."""
    engine = configured.DATABASES["default"].get("ENGINE", NO_DATABASE_ENGINE)
    broker_variables = " or ".join(BROKER_VARIABLES)
    problems = [secret_key_problem(configured)]
    if not configured.ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS is not set: list your domains, comma-separated.")
    if configured.DEBUG:
        problems.append("DEBUG is on: unset DEBUG or set it to false.")
    if engine == NO_DATABASE_ENGINE:
        problems.append("DATABASE_URL is not set: add a Heroku Postgres database.")
    if not configured.CELERY_BROKER_URL:
        problems.append(f"No Celery broker: set {broker_variables}.")
    if configured.CODE_RELOAD:
        problems.append("CODE_RELOAD is on: it is for local development; unset it.")
    return [problem for problem in problems if problem]


class UnsafeEnvironment(ImproperlyConfigured):
    """Raised, not exited: gunicorn restarts a worker that exits, forever, but
    stops the server when loading the app raises ("Worker failed to boot")."""


def refuse_to_start_if_misconfigured() -> None:
    """Raise UnsafeEnvironment listing every problem, if these are production settings."""
    if not getattr(settings, "PRODUCTION", False):
        return
    problems = production_problems()
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise UnsafeEnvironment(
            "Refusing to start: the environment is not safe for production.\n"
            f"{listed}\nSet each with `heroku config:set NAME=value`."
        )
