"""Every process closes its database pools as it exits.

A psycopg pool runs threads of its own. Left open at exit, the pool is closed by
the interpreter's shutdown, where Python 3.13 can no longer run those threads:
the pool waits 5 s for each one and gives up (psycopg issues 930 and 954), which
made every `manage.py migrate` 20 s slower. Closed before that, while the threads
still run, it takes milliseconds. AppConfig.ready() registers this at start-up in
every process that loads Django: manage.py commands (the release phase), gunicorn's
workers, the Celery worker and scheduler.
"""

import atexit

from django.db import connections


def close_database_pools() -> None:
    """Close the pools this process opened; open none (a pool is made on first use)."""
    for connection in connections.all(initialized_only=True):
        # Django makes a pool the first time `connection.pool` is read, so only
        # the class's record of the pools it made tells which exist.
        if connection.alias in getattr(connection, "_connection_pools", {}):
            connection.close_pool()


def close_database_pools_at_exit() -> None:
    atexit.register(close_database_pools)
