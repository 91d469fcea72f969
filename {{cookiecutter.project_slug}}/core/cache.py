"""A memcached outage slows the site down instead of taking it down.

Django's PyLibMCCache lets pylibmc's errors reach the view, so while memcached
is unreachable every request that touches the cache would fail. Here get,
get_many, set, set_many, add and delete carry on instead (a read misses, a write
is dropped) with a warning in the log; incr, decr and clear still raise, since
their callers depend on the answer.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pylibmc
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.memcached import PyLibMCCache

logger = logging.getLogger(__name__)


@contextmanager
def tolerate_outage(operation: str) -> Iterator[None]:
    try:
        yield
    except pylibmc.Error as error:
        logger.warning("memcached %s failed, carrying on without the cache: %s", operation, error)


class ForgivingPyLibMCCache(PyLibMCCache):
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
