"""Every request answers before Heroku's router gives up on it (30 s, then H12).

A statement timeout bounds a query only while PostgreSQL works: a server that
hangs (stopped, or cut off by a network that drops packets in silence) answers
nothing, and the request would wait with it for the whole hang, or the kernel's
15 minutes. Under gunicorn's gevent workers each request is a greenlet, and any
wait on the network yields to gevent: a gevent.Timeout interrupts it after
REQUEST_DEADLINE seconds. The visitor gets a 503 with Retry-After; a database
connection the request was using is closed, not handed back to the pool, since
its query is still under way. Elsewhere (runserver, tests) nothing is bounded.
"""

import logging
from collections.abc import Callable

import gevent
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from gevent import monkey

from .middleware import busy_response

logger = logging.getLogger(__name__)


class RequestDeadlineMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.bounded = monkey.is_module_patched("socket")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.bounded:
            return self.get_response(request)
        deadline = settings.REQUEST_DEADLINE
        try:
            with gevent.Timeout(deadline):
                return self.get_response(request)
        except gevent.Timeout:
            logger.error(
                "503 for %s %s: no answer within REQUEST_DEADLINE (%s s)",
                request.method, request.path, deadline,
            )  # fmt: skip
            close_connections_in_use()
            return busy_response()


def close_connections_in_use() -> None:
    """Close, rather than return to the pool, a connection whose query is under way."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            connection.connection.close()
