"""One helper per Heroku add-on: its environment variables become a Django setting.

Each falls back to something that needs no server, so a fresh checkout runs as is.
"""

from typing import Any
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from . import connections
from .environment import env_int, env_list, env_seconds, env_str

POSTGRESQL = "django.db.backends.postgresql"


def database_from_env(default_url: str | None = None, *, require_ssl: bool = False) -> dict:
    """DATABASES["default"] from DATABASE_URL (Heroku Postgres sets it).

    Returns {} when DATABASE_URL is unset and there is no default: production's
    start-up check then names the missing variable (see startup.py).
    """
    url = env_str("DATABASE_URL", default_url or "")
    if not url:
        return {}
    # Connections are closed when a request or task ends: with PostgreSQL that
    # returns them to the pool; SQLite opens a file, which costs nothing.
    database = dj_database_url.parse(url, conn_max_age=0, ssl_require=require_ssl)
    if database["ENGINE"] == POSTGRESQL:
        database.setdefault("OPTIONS", {}).update(postgresql_options())
    return database


def postgresql_options() -> dict[str, Any]:
    """A pool per process (see connections.py), and a bounded wait for a server.

    The pool does not test a connection before handing it out (that would be a
    round trip per request): after a database restart the first request to meet
    a dead connection gets a 503, and groundwork/middleware.py then has the pool test
    and replace its other idle connections at once.
    """
    statement_timeout_ms = round(1000 * env_seconds("DATABASE_STATEMENT_TIMEOUT", 20))
    return {
        # Seconds to wait for the server to accept a new connection.
        "connect_timeout": 5,
        # A query that runs longer is cancelled (a 503 in a request): below the
        # router's 30 s, so the visitor hears why. 0 turns it off (the release
        # phase does, for long migrations).
        "options": f"-c statement_timeout={statement_timeout_ms}",
        # Notice a server that vanished without closing the connection (a
        # failover, a lost network) in about a minute, not the kernel's 2 hours.
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "pool": {
            "min_size": 1,
            "max_size": connections.POOL_SIZE,
            "timeout": connections.POOL_TIMEOUT,
            # While the server is away, the pool retries connecting after 1, 2,
            # 4 ... s, and gives up after this many seconds; the next request then
            # starts over at once. Short, so that the site answers within seconds
            # of the server's return, not after the next long backoff.
            "reconnect_timeout": 5,
        },
    }


MEMCACHED_ADDONS = (
    # (servers, username, password): MemCachier first, then a generic memcached.
    ("MEMCACHIER_SERVERS", "MEMCACHIER_USERNAME", "MEMCACHIER_PASSWORD"),
    ("MEMCACHE_SERVERS", "MEMCACHE_USERNAME", "MEMCACHE_PASSWORD"),
)


def cache_from_env() -> dict:
    """CACHES["default"]: memcached through pylibmc if an add-on is set, else local memory."""
    for servers_var, username_var, password_var in MEMCACHED_ADDONS:
        servers = env_list(servers_var)
        if servers:
            return memcached_cache(servers, env_str(username_var), env_str(password_var))
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def memcached_cache(servers: list[str], username: str, password: str) -> dict:
    # A call to a hung server blocks a whole gevent worker (pylibmc's C calls
    # never yield), for at most this long; then the process leaves memcached
    # alone for CACHE_RETRY_AFTER seconds (see groundwork/cache.py).
    call_timeout_ms = round(1000 * env_seconds("CACHE_CALL_TIMEOUT", 0.2))
    retry_after = env_seconds("CACHE_RETRY_AFTER", 30)
    options: dict[str, Any] = {
        # SASL authentication, which MemCachier requires, needs the binary protocol.
        "binary": True,
        "behaviors": {
            "tcp_nodelay": True,
            # Consistent hashing: adding or losing a server moves few keys.
            "ketama": True,
            # What bounds a call to a server that accepts connections and never
            # answers (measured: the send/receive timeouts do not).
            "_poll_timeout": call_timeout_ms,
            # What bounds a connection the server's kernel cannot even accept.
            "connect_timeout": call_timeout_ms,
            # One failure takes a server out (its keys go to the others) until
            # dead_timeout has passed. libmemcached counts whole seconds.
            "remove_failed": 1,
            "dead_timeout": max(1, round(retry_after)),
        },
        "retry_after": retry_after,
    }
    if username:
        options.update(username=username, password=password)
    return {
        # One stack of clients per process, and an outage is a miss, not an error.
        "BACKEND": "groundwork.cache.SharedPyLibMCCache",
        "LOCATION": servers,
        "OPTIONS": options,
    }


def email_from_env() -> dict[str, Any]:
    """The mail service's SMTP settings, as arguments of Django's SMTP backend; {}
    when none is configured. EMAIL_URL wins: smtp://user:password@host:587 (STARTTLS)
    or smtps://user:password@host:465 (TLS from the start). Else the variables of
    Heroku's Mailgun add-on. Mail always travels encrypted: there is no plain SMTP."""
    url = env_str("EMAIL_URL")
    if url:
        return smtp_from_url(url)
    if env_str("MAILGUN_SMTP_SERVER"):
        return {
            "host": env_str("MAILGUN_SMTP_SERVER"),
            "port": env_int("MAILGUN_SMTP_PORT", 587, minimum=1),
            "username": env_str("MAILGUN_SMTP_LOGIN"),
            "password": env_str("MAILGUN_SMTP_PASSWORD"),
            "use_tls": True,
        }
    return {}


def smtp_from_url(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must look like smtp://user:password@host:587 (STARTTLS) or "
            f"smtps://user:password@host:465; its scheme is {parts.scheme!r}."
        )
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("EMAIL_URL's port is not a number.") from None
    implicit_tls = parts.scheme == "smtps"
    return {
        "host": parts.hostname,
        "port": port or (465 if implicit_tls else 587),
        "username": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": not implicit_tls,
        "use_ssl": implicit_tls,
    }


LOCAL_DISK = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
# Seconds a link to an uploaded file works: every file is private, its links signed.
SIGNED_URL_SECONDS = 3600


def media_storage_from_env() -> dict[str, Any]:
    """STORAGES["default"], where uploaded files go: a bucket when one is named
    (AWS_STORAGE_BUCKET_NAME with AWS_*, else the Bucketeer add-on's BUCKETEER_*),
    else the local disk (MEDIA_ROOT), which a dyno loses at every restart:
    production refuses it once a model stores files (checks.py)."""
    if env_str("AWS_STORAGE_BUCKET_NAME"):
        bucket = env_str("AWS_STORAGE_BUCKET_NAME")
        key, secret = env_str("AWS_ACCESS_KEY_ID"), env_str("AWS_SECRET_ACCESS_KEY")
    else:
        bucket = env_str("BUCKETEER_BUCKET_NAME")
        key = env_str("BUCKETEER_AWS_ACCESS_KEY_ID")
        secret = env_str("BUCKETEER_AWS_SECRET_ACCESS_KEY")
    if not bucket:
        return {"BACKEND": LOCAL_DISK}
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "access_key": key,
        "secret_key": secret,
        "region_name": env_str("AWS_S3_REGION_NAME") or env_str("BUCKETEER_AWS_REGION") or None,
        # Private: the bucket's own policy applies, and each link is signed.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": SIGNED_URL_SECONDS,
        # boto3 would sign some links the old way (version 2), which newer regions refuse.
        "signature_version": "s3v4",
        # A second upload of "photo.jpg" gets a new name instead of replacing the first.
        "file_overwrite": False,
    }
    endpoint = env_str("AWS_S3_ENDPOINT_URL")
    if endpoint:  # another S3-compatible store (Cloudflare R2, MinIO, ...)
        options.update(endpoint_url=endpoint, addressing_style="path")
    return {"BACKEND": S3, "OPTIONS": options}
