"""gunicorn settings for the `web` process. Each value answers to a Heroku limit.

https://docs.gunicorn.org/en/stable/settings.html
https://devcenter.heroku.com/articles/python-gunicorn
"""

import os

# Heroku routes requests to the port in $PORT, on any interface of the dyno
# (it sets DYNO there). Elsewhere only this machine may connect: a local run
# has DEBUG on, which must not be open to the network.
host = "0.0.0.0" if "DYNO" in os.environ else "127.0.0.1"  # noqa: S104
bind = [f"{host}:{os.environ.get('PORT', '8000')}"]

# Worker processes. Heroku sets WEB_CONCURRENCY to suit the dyno's memory; each
# worker holds a copy of the app, so raise it only while memory allows.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

# gevent: a worker serves many requests at once, switching between them while
# one waits on the network (database, broker, other APIs; not memcached, whose
# C client blocks the worker for the length of each call).
worker_class = "gevent"
# A worker holds at most this many client connections at once, the router's
# idle keep-alive ones included. Each request in progress may hold a database
# connection, so WEB_CONCURRENCY x this, times the web dynos, plus the workers'
# threads, should stay below your Postgres plan's limit (20 on Essential-0).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "20"))

# Heroku's router answers 503 (H12) when a request takes over 30 s. A gevent
# worker that blocks this long (CPU-bound code, a C call that never yields) is
# killed and replaced, before the router gives up on everything it serves.
timeout = 25

# On SIGTERM (a deploy, a restart, scaling down), workers finish the requests
# they hold for up to this long; Heroku sends SIGKILL 30 s after SIGTERM.
graceful_timeout = 20

# Heroku's router keeps an idle connection to the dyno open for 90 s. Keep it
# longer here, so that the router always closes it first and never sends a
# request down a connection gunicorn is closing.
keepalive = 95

# The router is the only client a dyno sees, and its address is not fixed:
# trust its X-Forwarded-* headers from any address.
forwarded_allow_ips = "*"

# Access log on stdout for Heroku's log router, with Heroku's request id, so a
# line here matches the router's line for the same request, and the time taken.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss request_id=%({x-request-id}i)s'
