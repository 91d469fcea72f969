"""Celery's broker: Heroku Key-Value Store (Redis)."""

import ssl

from .environment import env_seconds, env_str

# Read in this order; the first one set wins.
BROKER_VARIABLES = ("CELERY_BROKER_URL", "REDIS_URL")
# Redis connections carry no heartbeats: the socket timeouts below notice a
# server that stopped answering.
BROKER_HEARTBEAT = 0


def broker_from_env() -> tuple[str, dict | None]:
    """The broker URL and its TLS options ("" when no variable is set)."""
    url = next((env_str(name) for name in BROKER_VARIABLES if env_str(name)), "")
    if url.startswith("rediss://"):
        # Heroku Key-Value Store serves TLS with a self-signed certificate that no
        # CA can verify. The connection is still encrypted.
        return url, {"ssl_cert_reqs": ssl.CERT_NONE}
    return url, None


def broker_transport_options() -> dict:
    """kombu sets no socket timeout for Redis: one that accepts connections and
    never answers would hold a request, or a worker, forever. (Celery's connect
    timeout, base.py, bounds each retry of a failed connection here.)"""
    return {
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
        # Queueing a task tries to connect once: the caller has a way on (the web
        # keeps the ping for the sweep, a task retries later) and should not wait
        # through kombu's retries.
        "max_retries": 0,
        # A task that a worker took and never acknowledged (it was killed, or
        # its dyno lost) goes back to the queue this long after it was taken,
        # when a worker starts or, in a running worker, within 100 s more. Tasks
        # must finish, retries included, well within it (groundwork/tasks.py).
        "visibility_timeout": env_seconds("CELERY_VISIBILITY_TIMEOUT", 300),
    }
