"""gunicorn settings for the `web` process. Each value answers to a Heroku limit.

https://docs.gunicorn.org/en/stable/settings.html
https://devcenter.heroku.com/articles/python-gunicorn
"""

import os

import gevent

# The platform's environment readers: a bad value names its variable and what it
# may be. Neither loads Django.
from groundwork.connections import WEB_PROCESSES_PER_DYNO
from groundwork.environment import env_bool, env_int

# Heroku routes requests to the port in $PORT, on any interface of the dyno
# (it sets DYNO there), over IPv4 or IPv6: "[::]" takes both, as in Heroku's own
# gunicorn example. Elsewhere only this machine may connect: a local run has
# DEBUG on, which must not be open to the network.
# https://devcenter.heroku.com/articles/python-gunicorn
host = "[::]" if "DYNO" in os.environ else "127.0.0.1"
bind = [f"{host}:{os.environ.get('PORT', '8000')}"]

# Worker processes. Heroku sets WEB_CONCURRENCY to suit the dyno's memory; each
# worker holds a copy of the app, so raise it only while memory allows.
workers = WEB_PROCESSES_PER_DYNO  # WEB_CONCURRENCY, also in the connection budget

# gevent: a worker serves many requests at once, switching between them while
# one waits on the network (database, broker, other APIs; not memcached, whose
# C client blocks the worker for the length of each call: groundwork/cache.py bounds it).
worker_class = "gevent"
# The connections one worker holds at once: requests in progress, the idle
# keep-alive connections Heroku's router keeps to the dyno, and clients that send
# their request slowly (a phone on a bad network, or an attack). Past this,
# connections queue in the kernel, unanswered: at 250 a worker, 500 clients
# trickling a byte a second stopped a dyno. Each costs a greenlet (a few KB); a
# slow client's headers are bounded by `keepalive` below, its body by
# REQUEST_DEADLINE (groundwork/deadline.py). The database does not limit this: a
# worker's requests share DATABASE_POOL_SIZE (4) connections, and one that finds
# all four busy waits up to DATABASE_POOL_TIMEOUT (5 s), then gets a 503.
worker_connections = env_int("GUNICORN_WORKER_CONNECTIONS", 1000, minimum=1)

# Heroku's router answers 503 (H12) when a request takes over 30 s. A gevent
# worker that blocks this long (CPU-bound code, a C call that never yields) is
# killed and replaced, before the router gives up on everything it serves.
timeout = 25

# On SIGTERM (a deploy, a restart, scaling down), workers finish the requests
# they hold for up to this long; Heroku sends SIGKILL 30 s after SIGTERM.
graceful_timeout = 20

# Heroku's router keeps an idle connection to the dyno open for 90 s. Keep it
# longer here, so that the router always closes it first and never sends a
# request down a connection gunicorn is closing. It also bounds how long a
# client may take to send a request's headers.
keepalive = 95

# Trust no forwarded header in gunicorn itself. The router's address is not
# fixed, so "*" would be the only way to trust it, and "*" also lets any client
# set SCRIPT_NAME and move every URL the site makes (/evil/admin/...). Django
# reads the one header the router overwrites, X-Forwarded-Proto, itself
# (SECURE_PROXY_SSL_HEADER). Set here, this also overrides the FORWARDED_ALLOW_IPS=*
# that Heroku's Python buildpack exports.
forwarded_allow_ips = ""

# Locally (.env sets CODE_RELOAD=on), workers restart when a loaded Python file
# changes. Read here without Django's settings, which load only in the workers.
reload = env_bool("CODE_RELOAD", False)

# Access log on stdout for Heroku's log router, with Heroku's request id, so a
# line here matches the router's line for the same request, and the time taken.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss request_id=%({x-request-id}i)s'


def post_request(worker: object, request: object, environ: dict, response: object) -> None:
    """Give the worker's other connections a turn after each request.

    gevent switches between requests only when one would block. On a keep-alive
    connection whose next request has already arrived, reading it does not
    block, so a busy client can be served again and again while others wait.
    Measured (django-skel's benchmarks/web_load.py, hello view, 32 clients): p99 0.8 to 1 s
    without this yield, 0.25 s with it, at the same throughput.
    """
    gevent.sleep(0)


def worker_exit(server: object, worker: object) -> None:
    """Close the database pools while the worker can still wait for its threads
    (greenlets): left to the interpreter's exit, the pool prints a traceback at
    every deploy and daily restart (groundwork/pools.py)."""
    from groundwork.pools import close_database_pools

    close_database_pools()
