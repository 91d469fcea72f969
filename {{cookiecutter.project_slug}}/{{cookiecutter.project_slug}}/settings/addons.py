"""One helper per Heroku add-on: its environment variables become a Django setting.

Each falls back to something that needs no server, so a fresh checkout runs as is.
"""

import os
from pathlib import Path

import dj_database_url

from .environment import env_int, env_list, env_str


def database_from_env(default_url: str | None = None, *, require_ssl: bool = False) -> dict:
    """DATABASES["default"] from DATABASE_URL (Heroku Postgres sets it).

    Returns {} when DATABASE_URL is unset and there is no default: production's
    start-up check then names the missing variable (see startup.py).
    """
    url = env_str("DATABASE_URL", default_url or "")
    if not url:
        return {}
    return dj_database_url.parse(
        url,
        # gevent runs each request in its own greenlet, and Django keeps one
        # connection per greenlet: persistent connections would pile up past the
        # plan's connection limit. Close each connection when its request ends.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
        ssl_require=require_ssl,
    )


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


# Where Debian and Ubuntu (and so Heroku's stacks) keep the SASL mechanisms.
SASL_PLUGIN_FOLDERS = [Path(f"/usr/lib/{arch}-linux-gnu/sasl2") for arch in ("x86_64", "aarch64")]


def memcached_cache(servers: list[str], username: str, password: str) -> dict:
    plugins = next((folder for folder in SASL_PLUGIN_FOLDERS if folder.is_dir()), None)
    if username and plugins and "SASL_PATH" not in os.environ:
        # pylibmc's wheel looks for SASL plugins where CentOS keeps them, so it
        # cannot log in anywhere else unless told (pylibmc issue #289). The cache
        # imports pylibmc only after the settings, so this is early enough.
        os.environ["SASL_PATH"] = str(plugins)
    options: dict = {
        # SASL authentication, which MemCachier requires, needs the binary protocol.
        "binary": True,
        "behaviors": {
            "tcp_nodelay": True,
            # Consistent hashing: adding a server moves few keys.
            "ketama": True,
            # Give up on a slow or dead server quickly (milliseconds, microseconds
            # for send/receive): a cache miss is cheaper than a hung request.
            "connect_timeout": 2000,
            "send_timeout": 750_000,
            "receive_timeout": 750_000,
            "_poll_timeout": 2000,
            # Skip a failed server for a while instead of retrying it on every call.
            "remove_failed": 1,
            "retry_timeout": 2,
            "dead_timeout": 30,
        },
    }
    if username:
        options.update(username=username, password=password)
    return {
        # PyLibMCCache, but an unreachable server is a miss, not a failed request.
        "BACKEND": "core.cache.ForgivingPyLibMCCache",
        "LOCATION": servers,
        "OPTIONS": options,
    }
