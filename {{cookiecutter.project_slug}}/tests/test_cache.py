"""While memcached is down, the cache misses instead of failing the request."""

import pytest

from core.cache import ForgivingPyLibMCCache


@pytest.fixture
def cache_without_server():
    # Port 1 on loopback: nothing listens there, so every connection is refused.
    return ForgivingPyLibMCCache("127.0.0.1:1", {"OPTIONS": {"binary": True}})


def test_reads_miss(cache_without_server):
    assert cache_without_server.get("key") is None
    assert cache_without_server.get("key", "fallback") == "fallback"
    assert cache_without_server.get_many(["a", "b"]) == {}


def test_writes_are_dropped_and_reported_as_not_stored(cache_without_server, caplog):
    cache_without_server.set("key", "value")

    assert cache_without_server.add("key", "value") is False
    assert cache_without_server.set_many({"a": 1}) == ["a"]
    assert cache_without_server.delete("key") is False
    assert "memcached set failed" in caplog.text
