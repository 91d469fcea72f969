"""memcached: one stack of clients per process, and an outage costs one failed call.

These run without a server (port 1 on loopback refuses every connection); the
template's tests repeat them against a real memcached, hung and stopped.
"""

import threading

import pytest

# `make install` leaves pylibmc out where it cannot be compiled (scripts/preflight.py).
pylibmc = pytest.importorskip("pylibmc", reason="not installed: no compiler here")

from groundwork import cache as cache_module  # noqa: E402
from groundwork.cache import SharedPyLibMCCache  # noqa: E402

UNREACHABLE = "127.0.0.1:1"


def make_cache(location: str = UNREACHABLE, retry_after: float = 30) -> SharedPyLibMCCache:
    return SharedPyLibMCCache(location, {"OPTIONS": {"binary": True, "retry_after": retry_after}})


@pytest.fixture(autouse=True)
def fresh_process_state(monkeypatch):
    """Each test starts as a new process would: no shared clients yet."""
    monkeypatch.setattr(cache_module, "_shared", {})


@pytest.fixture
def clock(monkeypatch):
    """The cache's clock, moved by hand: outage windows without waiting."""
    now = {"seconds": 1000.0}
    monkeypatch.setattr(cache_module, "monotonic", lambda: now["seconds"])
    return now


@pytest.mark.parametrize(
    "retry_after",
    [30, 0],
    ids=["later-calls-skip-the-server", "every-call-meets-the-refused-connection"],
)
def test_reads_miss_and_writes_are_dropped_while_memcached_is_down(retry_after):
    cache = make_cache(retry_after=retry_after)

    assert cache.get("key") is None
    assert cache.get("key", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    cache.set("key", "value")
    assert cache.add("key", "value") is False
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.delete("key") is False


def test_caches_of_different_threads_share_the_process_clients():
    """Django makes a cache object per thread (per request under gevent)."""
    made_in_threads = []
    threads = [threading.Thread(target=lambda: made_in_threads.append(make_cache())) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    first, second = made_in_threads
    assert first is not second
    assert first._cache is second._cache


def test_a_failure_makes_every_call_a_miss_without_trying_until_retry_after(
    clock, monkeypatch, caplog
):
    cache = make_cache(retry_after=30)
    tried = []
    real_get = pylibmc.Client.get
    monkeypatch.setattr(pylibmc.Client, "get", lambda *args: (tried.append(1), real_get(*args))[1])

    assert cache.get("key") is None  # tries, fails: the outage begins
    clock["seconds"] += 29
    for _ in range(5):
        assert cache.get("key") is None  # within the window: nothing tried
    tried_during_outage = len(tried)
    clock["seconds"] += 2
    assert cache.get("key") is None  # 31 s on: tries again

    assert (tried_during_outage, len(tried)) == (1, 2)
    assert caplog.text.count("memcached failed") == 2  # once per outage, not per call
    assert "for the next 30.0 s" in caplog.text


def test_calls_under_way_together_borrow_different_clients_and_the_last_returned_is_reused():
    """Threads (Celery's) may call at once; a gevent worker never does, so it keeps
    reusing the one client it returned last: one connection per server."""
    shared = make_cache()._cache

    with shared._borrowed() as first, shared._borrowed() as second:
        assert first is not second
    with shared._borrowed() as again:
        assert again is first  # returned last

    assert shared.clients == 2


def test_an_outage_retires_every_client_so_the_next_call_tries_the_server_afresh(clock):
    """libmemcached keeps marking a failed server dead inside each client: a client
    from before the outage would fail at once when the window ends, and open another."""
    cache = make_cache(retry_after=30)
    shared = cache._cache
    with shared._borrowed() as idle_during_outage, shared._borrowed() as failing:
        pass

    assert cache.get("key") is None  # fails: the outage begins
    clock["seconds"] += 31
    with shared._borrowed() as after_outage:
        pass

    assert after_outage not in (idle_during_outage, failing)
    assert shared.clients == 1
