"""Checks Django runs before commands: `check`, and `migrate` in the release phase."""

from django.conf import settings
from django.core import checks

from . import connections


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
            id="core.W001",
        )
    ]
