"""memcached shared by a whole process, and outages that cost a request little, once.

Django's PyLibMCCache gives each thread its own pylibmc client, and under gevent
each request is a thread: every request would connect (and log in, on MemCachier)
again, and memcached would hold as many connections as there are requests in
flight. Here a process shares a stack of clients, and each cache call borrows one.
pylibmc's calls never yield to gevent, so a web worker never has two calls under
way at once and keeps reusing one client: one logged-in connection per server.
Celery's threads do call at once; the stack grows to as many as call together.

A call to a hung memcached blocks the whole gevent worker until the call's
timeout (OPTIONS["behaviors"]["_poll_timeout"]). After such a failure every call of
the process is a miss at once, for `retry_after` seconds: one slow call per
process per period, not one per request. Reads miss and writes are dropped
(get, get_many, set, set_many, add, delete), with one warning in the log per
outage; incr, decr and clear still raise, since their callers need the answer.

An outage also retires every client the process had: libmemcached remembers a
failed server as dead in each client, and a client that still remembers it when
the window ends fails at once ("SERVER IS MARKED DEAD"), which opened the next
window, forever. The first call after the window makes a new client, which tries
the server afresh.
"""

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from time import monotonic
from typing import Any

# Where Debian and Ubuntu (and so Heroku's stacks) keep the SASL mechanisms.
SASL_PLUGIN_FOLDERS = [Path(f"/usr/lib/{arch}-linux-gnu/sasl2") for arch in ("x86_64", "aarch64")]


def point_pylibmc_at_sasl_plugins() -> None:
    """pylibmc's wheel looks for SASL plugins where CentOS keeps them, so it cannot
    log in (to MemCachier) anywhere else unless told (pylibmc issue #289). It reads
    SASL_PATH once, as it loads: this runs first."""
    found = next((folder for folder in SASL_PLUGIN_FOLDERS if folder.is_dir()), None)
    if found:
        os.environ.setdefault("SASL_PATH", str(found))


point_pylibmc_at_sasl_plugins()

import pylibmc  # noqa: E402 (after SASL_PATH)
from django.core.cache.backends.base import DEFAULT_TIMEOUT  # noqa: E402
from django.core.cache.backends.memcached import PyLibMCCache  # noqa: E402

logger = logging.getLogger(__name__)

# Answers about a key, from a server that works: no reason to stop using it.
DATA_ERRORS = (
    pylibmc.NotFound, pylibmc.DataExists, pylibmc.TooBig, pylibmc.CacheMiss,
    pylibmc.DataDoesNotExist, pylibmc.BadKeyProvided,
)  # fmt: skip


class MemcachedSkipped(pylibmc.Error):
    """Raised instead of calling a memcached that failed moments ago."""


class SharedClients:
    """Stands in for one pylibmc.Client: each method call borrows a client from
    the process's stack (most recently returned first) for its duration."""

    def __init__(self, servers: list[str], options: dict[str, Any], retry_after: float) -> None:
        self._servers = servers
        self._options = options
        self._retry_after = retry_after
        self._idle: list[pylibmc.Client] = []
        self._lock = threading.Lock()
        self._down_until = 0.0
        # Counts outages: a client made before the latest one is not reused.
        self._outages = 0

    def __getattr__(self, method: str) -> Callable[..., Any]:
        # Django's backend calls get, get_multi, set, set_multi, add, delete,
        # delete_multi, incr, decr, touch and flush_all, with positional
        # arguments only. (pylibmc 1.6.3 mishandles an empty **{}: with SASL, a
        # set then fails with "FAILED TO SEND AUTHENTICATION TO SERVER".)
        def call(*args: Any) -> Any:
            with self._borrowed() as client:
                return getattr(client, method)(*args)

        return call

    @property
    def clients(self) -> int:
        """How many clients (each with its own connections) the stack holds idle."""
        return len(self._idle)

    def _new_client(self) -> pylibmc.Client:
        return pylibmc.Client(self._servers, **self._options)

    @contextmanager
    def _borrowed(self) -> Iterator[pylibmc.Client]:
        if monotonic() < self._down_until:
            raise MemcachedSkipped("memcached failed moments ago; not calling it yet")
        with self._lock:
            client = self._idle.pop() if self._idle else None
            outages_when_borrowed = self._outages
        client = client or self._new_client()
        try:
            yield client
        except DATA_ERRORS:
            raise
        except pylibmc.Error as error:
            self._begin_outage(error)
            raise
        finally:
            with self._lock:
                if outages_when_borrowed == self._outages:
                    self._idle.append(client)

    def _begin_outage(self, error: pylibmc.Error) -> None:
        with self._lock:
            self._outages += 1
            self._idle.clear()
        self._down_until = monotonic() + self._retry_after
        logger.warning(
            "memcached failed (%s: %s); this process treats every cache call as a miss "
            "for the next %s s",
            type(error).__name__, error, self._retry_after,
        )  # fmt: skip


_shared: dict[str, SharedClients] = {}
_shared_lock = threading.Lock()


def shared_clients(
    servers: list[str], options: dict[str, Any], retry_after: float
) -> SharedClients:
    """The process's SharedClients for this configuration, made on first use."""
    key = repr((servers, sorted(options.items()), retry_after))
    with _shared_lock:
        if key not in _shared:
            _shared[key] = SharedClients(servers, options, retry_after)
        return _shared[key]


@contextmanager
def tolerate_outage(operation: str) -> Iterator[None]:
    try:
        yield
    except MemcachedSkipped:
        pass  # the outage was logged when it began
    except pylibmc.Error as error:
        logger.warning("memcached %s failed, carrying on without the cache: %s", operation, error)


class SharedPyLibMCCache(PyLibMCCache):
    """PyLibMCCache on the process's shared clients; an outage is a miss, not an error.

    OPTIONS takes pylibmc.Client's arguments, plus `retry_after`: the seconds to
    leave memcached alone after it failed (libmemcached's dead_timeout should match).
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self._retry_after = float(options.pop("retry_after", 30))
        # pylibmc 1.6.3 on Python 3.13 reports an ignored exception for each
        # client made without behaviors ("PyMapping_HasKeyString").
        options.setdefault("behaviors", {})
        super().__init__(server, {**params, "OPTIONS": options})

    @cached_property
    def _cache(self) -> SharedClients:  # type: ignore[override]
        return shared_clients(self.client_servers, self._options, self._retry_after)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        with tolerate_outage("get"):
            return super().get(key, default, version)
        return default

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        with tolerate_outage("get_many"):
            return super().get_many(keys, version)
        return {}

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        with tolerate_outage("set"):
            super().set(key, value, timeout, version)

    def set_many(
        self, data: dict, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list:
        with tolerate_outage("set_many"):
            return super().set_many(data, timeout, version)
        return list(data)

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        with tolerate_outage("add"):
            return super().add(key, value, timeout, version)
        return False

    def delete(self, key: str, version: int | None = None) -> bool:
        with tolerate_outage("delete"):
            return super().delete(key, version)
        return False
