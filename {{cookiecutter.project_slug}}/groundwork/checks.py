"""Checks Django runs before commands: `check`, and `migrate` in the release phase."""

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models

from . import connections
from .addons import LOCAL_DISK


@checks.register(checks.Tags.database)
def connection_budget(**_: object) -> list[checks.CheckMessage]:
    """Warn when the default formation could open more connections than the plan allows:
    Heroku raises WEB_CONCURRENCY on bigger dynos, and each web process has its pool."""
    if settings.DATABASES["default"].get("ENGINE") != "django.db.backends.postgresql":
        return []
    needed, usable = connections.connections_needed(), connections.usable_connections()
    if needed <= usable:
        return []
    return [
        checks.Warning(
            f"One web dyno, one worker, the scheduler and a one-off process may hold "
            f"{needed} connections to PostgreSQL; DATABASE_CONNECTION_LIMIT="
            f"{connections.PLAN_LIMIT} leaves {usable}.",
            hint="Lower DATABASE_POOL_SIZE or WEB_CONCURRENCY, or set "
            "DATABASE_CONNECTION_LIMIT to your plan's limit (README: Database connections).",
            id="groundwork.W001",
        )
    ]


@checks.register()
def uploads_on_the_dynos_disk(**_: object) -> list[checks.CheckMessage]:
    """Refuse, in production, a model that stores files on the dyno's disk: Heroku
    wipes it at every restart (at least daily), and other dynos never see it.
    An error stops the release phase, so the deploy fails with this message."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    if settings.STORAGES["default"]["BACKEND"] != LOCAL_DISK:
        return []
    return [
        checks.Error(
            f"{field.model._meta.label}.{field.name} stores uploaded files on the dyno's disk, "
            "which Heroku wipes at every restart.",
            hint="Add the Bucketeer add-on (heroku addons:create bucketeer) or set "
            "AWS_STORAGE_BUCKET_NAME, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
            "(README: Uploaded files).",
            obj=field,
            id="groundwork.E001",
        )
        for field in file_fields(apps.get_models())
    ]


def file_fields(model_classes: Iterable[type[models.Model]]) -> list[models.FileField]:
    """The fields that store files (FileField, ImageField) of these models."""
    return [
        field
        for model in model_classes
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


@checks.register()
def no_mail_service(**_: object) -> list[checks.CheckMessage]:
    """Say, in production, that mail will wait: the password reset and send_mail()
    keep their messages in the outbox until a mail service is configured."""
    if not getattr(settings, "PRODUCTION", False) or settings.EMAIL_SMTP:
        return []
    return [
        checks.Warning(
            "No mail service: password resets and other mail wait in the outbox.",
            hint="Add the Mailgun add-on (heroku addons:create mailgun) or set EMAIL_URL "
            "(README: Email); the waiting mail goes out then.",
            id="groundwork.W002",
        )
    ]
