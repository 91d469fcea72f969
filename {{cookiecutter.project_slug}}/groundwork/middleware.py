"""When the database cannot serve a request now, say so: 503 and Retry-After.

A view meets these when every pooled connection stayed busy for
DATABASE_POOL_TIMEOUT or none could be made (the pool's PoolTimeout), or when a
query's connection broke (PostgreSQL restarting; InterfaceError once it is
closed). None of that is a bug in the page: the visitor gets "try again in a
moment" with Retry-After instead of a 500, and the log gets one line instead of
a traceback.

A query cut off by DATABASE_STATEMENT_TIMEOUT is a 503 too (the database is too
busy for it now, or the query too slow): the visitor hears why well before the
router's 30 s, and the log gets one line at ERROR, which Sentry also receives, with
the statement's text, so that the slow query can be found. Other OperationalErrors
are the page's own (a missing table) and stay 500s with a traceback.
"""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from psycopg.errors import QueryCanceled
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)

# Long enough for a pool to free up or a restarted database to come back.
RETRY_AFTER_SECONDS = 5
BUSY_PAGE = (
    "<!doctype html><title>Busy</title>"
    "<h1>Busy</h1><p>The site cannot reach its database just now. "
    "Please try again in a few seconds.</p>"
)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, error: Exception) -> HttpResponse | None:
        if statement_timed_out(error):
            logger.error(
                "503 for %s %s: a query ran past the statement timeout: %s",
                request.method, request.path, str(error).strip(),
            )  # fmt: skip
        elif database_unavailable(error):
            logger.warning(
                "503 for %s %s: database unavailable: %s", request.method, request.path, error
            )
            if connection_broke():
                # PostgreSQL restarted: the pool's idle connections broke with this one.
                replace_broken_connections()
        else:
            return None
        return busy_response()


def busy_response() -> HttpResponse:
    """503 with Retry-After; the caller has logged why."""
    response = HttpResponse(BUSY_PAGE, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # The caller's line says why; Django would log the 503 a second time.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def connection_broke() -> bool:
    """The connection in use broke under a query (psycopg's `broken`)."""
    return getattr(connection.connection, "broken", False)


def statement_timed_out(error: Exception) -> bool:
    return isinstance(error, OperationalError) and isinstance(error.__cause__, QueryCanceled)


def database_unavailable(error: Exception) -> bool:
    if isinstance(error, InterfaceError):  # a connection closed under the request
        return True
    if not isinstance(error, OperationalError):
        return False
    # PostgreSQL connections always come from the pool, which turns "cannot
    # connect" into PoolTimeout too.
    return isinstance(error.__cause__, PoolTimeout) or connection_broke()


def replace_broken_connections() -> None:
    """A restart of the database breaks every idle connection of the pool at once:
    have the pool test them now (a round trip each) and replace the broken ones,
    so that only the request that found the first one pays for it."""
    pool = getattr(connection, "pool", None)  # PostgreSQL's, when pooling is on
    if pool is not None:
        pool.check()
