"""How many connections to PostgreSQL each process may hold: one budget for the
whole formation, computed here and nowhere else.

Heroku Postgres counts every connection of every dyno against the plan's limit
(Essential-0: 20), and PostgreSQL keeps 3 of them for superusers, so 17 are the
app's. Each process keeps a pool of at most DATABASE_POOL_SIZE connections, shared
by its requests (gevent greenlets) or its tasks (Celery threads). A request that
finds the pool busy waits for a connection, at most DATABASE_POOL_TIMEOUT seconds,
then gets a 503 (groundwork/middleware.py): the database never sees one connection more.

The default formation, with the defaults below:

    web        1 dyno x WEB_CONCURRENCY (2) processes x DATABASE_POOL_SIZE (4) =  8
    worker     1 dyno x DATABASE_POOL_SIZE (4), one per Celery thread         =  4
    scheduler  1 dyno, sends tasks, kept one connection                       =  1
    one-off    the release phase, or a `heroku run`                           =  1
                                                                       total 14 of 17

For a bigger plan or formation, `python manage.py connection_budget --web N
--worker M` does the sum; set DATABASE_CONNECTION_LIMIT to the plan's limit so that
the check in groundwork/checks.py warns when the default formation no longer fits.
"""

import os

from .environment import env_int, env_seconds

PLAN_LIMIT = env_int("DATABASE_CONNECTION_LIMIT", 20, minimum=1)
# PostgreSQL's superuser_reserved_connections: the app's user cannot take these.
RESERVED_FOR_SUPERUSERS = 3

POOL_SIZE = env_int("DATABASE_POOL_SIZE", 4, minimum=1)
# Long enough to ride out a burst (four connections serve hundreds of pages a
# second), short enough that the visitor hears "try again" well before Heroku's
# router gives up at 30 s.
POOL_TIMEOUT = env_seconds("DATABASE_POOL_TIMEOUT", 5.0)

# gunicorn.conf.py reads the same variable, with the same default, per web dyno.
WEB_PROCESSES_PER_DYNO = env_int("WEB_CONCURRENCY", 2, minimum=1)
# Each Celery thread runs one task, holding at most one connection.
WORKER_THREADS = env_int("CELERY_WORKER_CONCURRENCY", POOL_SIZE, minimum=1)
SCHEDULER_CONNECTIONS = 1
ONE_OFF_CONNECTIONS = 1


def usable_connections() -> int:
    return PLAN_LIMIT - RESERVED_FOR_SUPERUSERS


def connections_needed(web_dynos: int = 1, worker_dynos: int = 1, pool_size: int = 0) -> int:
    """The most connections this formation can hold at once, with this pool size
    (DATABASE_POOL_SIZE's when 0). Celery's threads follow the pool size unless
    CELERY_WORKER_CONCURRENCY sets them."""
    pool = pool_size or POOL_SIZE
    threads = WORKER_THREADS if "CELERY_WORKER_CONCURRENCY" in os.environ else pool
    web = web_dynos * WEB_PROCESSES_PER_DYNO * pool
    worker = worker_dynos * min(threads, pool)
    return web + worker + SCHEDULER_CONNECTIONS + ONE_OFF_CONNECTIONS


def largest_pool_that_fits(web_dynos: int, worker_dynos: int) -> int:
    """The largest DATABASE_POOL_SIZE with which the formation fits; 0 if none does."""
    fitting = [
        size
        for size in range(1, max(POOL_SIZE, usable_connections()) + 1)
        if connections_needed(web_dynos, worker_dynos, size) <= usable_connections()
    ]
    return max(fitting, default=0)
