"""The web process on real servers, under the concurrency and faults of production.

PostgreSQL is TLS-only and allows 20 connections, as Heroku Postgres Essential-0
does; memcached and Redis are real too. The web process is the Procfile's web
command with production settings, started afresh by each test with the
environment the test is about.
"""

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from . import heroku, servers
from .helpers import free_port, generate_project, wait_for

pytestmark = pytest.mark.servers

# Heroku Postgres Essential-0.
MAX_CONNECTIONS = 20
# A database away this long (a maintenance restart, a failover) ...
OUTAGE_SECONDS = 8
# ... is answering again within this: while it is away, the pool's attempts
# to reconnect back off (1, 2, 4 s ...) but start over every 5 s, so the next
# one comes at most 2 s after its return. With the pool's default (backing
# off for 5 minutes), the next attempt after an 8 s outage comes some 7 s late.
RECOVERY_DEADLINE_SECONDS = 4


@dataclass
class Stack:
    """A released project and the servers its add-ons would be."""

    project: Path
    venv: Path
    config: dict[str, str]
    database: servers.Server
    cache: servers.Server
    logs: Path

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.database.env["DATABASE_URL"], sslmode="require") as connection:
            return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, production_venv: Path) -> Iterator[Stack]:
    tmp_path = tmp_path_factory.mktemp("under-load")
    with ExitStack() as running:
        database = running.enter_context(
            servers.postgres(tls=True, max_connections=MAX_CONNECTIONS)
        )
        # Plain memcached: the tests read its own counters over its text protocol.
        cache = running.enter_context(servers.memcached(sasl=False))
        broker = running.enter_context(servers.redis(tls=False))
        project = generate_project(tmp_path)
        heroku.build(project, production_venv)
        config = heroku.heroku_config(database, cache, broker)
        heroku.release(project, production_venv, config)
        yield Stack(project, production_venv, config, database, cache, tmp_path)


@pytest.fixture
def start_web(stack: Stack) -> Iterator[Callable[..., heroku.Dyno]]:
    """Start the web process with these config vars on top; stopped after the test."""
    started: list[heroku.Dyno] = []

    def start(**config: str) -> heroku.Dyno:
        config = {**stack.config, "PORT": str(free_port()), **config}
        log = stack.logs / f"web-{len(started)}-{time.monotonic_ns()}.log"
        started.append(heroku.start_web(stack.project, stack.venv, config, log))
        return started[-1]

    yield start
    heroku.stop_dynos(started)


def all_at_once(count: int, call: Callable[[], object]) -> list:
    """`count` calls started together, each in its own thread; their results."""
    gate = threading.Barrier(count)

    def together() -> object:
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: together(), range(count)))


@contextmanager
def highest(sample: Callable[[], int], every_seconds: float = 0.01) -> Iterator[list[int]]:
    """Sample a number in the background for the duration of the block; the
    list holds the highest value seen once the block ends."""
    seen = [sample()]
    done = threading.Event()

    def keep_sampling() -> None:
        while not done.wait(every_seconds):
            seen[0] = max(seen[0], sample())

    sampler = threading.Thread(target=keep_sampling)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()


def test_a_dynos_web_process_answers_over_ipv4_and_ipv6(stack, start_web):
    """Heroku's router may reach the dyno over either."""
    web = start_web()  # DYNO is set, as on Heroku: every interface
    port = web.url.rsplit(":", 1)[1]

    answers = [heroku.request(f"http://{host}:{port}", "/")[0] for host in ("127.0.0.1", "[::1]")]

    assert answers == [200, 200]


# DATABASE
# ------------------------------------------------------------------------------
def test_300_requests_at_once_share_the_20_connections_without_an_error(stack, start_web):
    web = start_web()  # the defaults: 2 processes, a pool of 4 each
    with psycopg.connect(stack.database.env["DATABASE_URL"], sslmode="require") as watcher:

        def connections() -> int:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()"
            ).fetchone()
            return row[0]

        with highest(connections) as peak:
            statuses = all_at_once(300, lambda: heroku.request(web.url, "/", timeout=30)[0])

    assert statuses.count(200) == 300, f"not all 200: {sorted(set(statuses))}"
    assert peak[0] <= 2 * 4, f"{peak[0]} connections for 2 processes with pools of 4"


def test_an_exhausted_pool_answers_503_to_retry_with_one_log_line(stack, start_web):
    web = start_web(WEB_CONCURRENCY="1", DATABASE_POOL_SIZE="1", DATABASE_POOL_TIMEOUT="0.5")
    with psycopg.connect(stack.database.env["DATABASE_URL"], sslmode="require") as locker:
        # The home page's first query waits for this lock, holding the pool's
        # only connection, until the lock is let go.
        locker.execute("LOCK TABLE core_ping IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(max_workers=1) as background:
            first = background.submit(heroku.request, web.url, "/", timeout=30)
            wait_for(
                "the first request to wait for the lock",
                lambda: stack.query("SELECT count(*) FROM pg_locks WHERE NOT granted")[0][0],
                10,
            )
            status, headers, body = heroku.request(web.url, "/")
            locker.rollback()  # lets go of the lock
            first_status = first.result()[0]

    assert (status, headers.get("Retry-After")) == (503, "5")
    assert b"try again" in body
    assert first_status == 200, "the request holding the connection still completes"
    assert web.output().count("503 for GET /: database unavailable") == 1
    assert "Traceback" not in web.output()


def test_the_site_comes_back_after_the_database_restarts_without_restarting_itself(
    stack, start_web
):
    web = start_web(DATABASE_POOL_TIMEOUT="1")
    # Every pooled connection in use once, so each process holds several.
    assert set(all_at_once(40, lambda: heroku.request(web.url, "/")[0])) == {200}
    workers = heroku.web_workers(web)
    answers: list[int] = []

    with stack.database.down():
        deadline = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < deadline:
            answers.append(heroku.request(web.url, "/")[0])
    back = time.monotonic()
    wait_for(
        "40 requests at once to be answered again",
        lambda: set(all_at_once(40, lambda: heroku.request(web.url, "/")[0])) == {200},
        RECOVERY_DEADLINE_SECONDS,
    )
    recovered_after = time.monotonic() - back

    assert set(answers) <= {200, 503}, f"answers while away: {sorted(set(answers))}"
    assert heroku.web_workers(web) == workers, "a web process was restarted"
    print(f"answered again {recovered_after:.1f} s after the database's return")


def test_a_web_process_with_a_busy_pool_stops_cleanly_on_sigterm(stack, start_web):
    web = start_web()
    assert set(all_at_once(40, lambda: heroku.request(web.url, "/")[0])) == {200}

    web.stop()

    assert web.process.returncode == 0
    assert "Traceback" not in web.output()


# MEMCACHED
# ------------------------------------------------------------------------------
def memcached_stat(port: int, name: str) -> int:
    with socket.create_connection((servers.HOST, port), timeout=5) as connection:
        connection.sendall(b"stats\r\n")
        reply = b""
        while not reply.endswith(b"END\r\n"):
            reply += connection.recv(65536)
    line = next(line for line in reply.decode().splitlines() if line.startswith(f"STAT {name} "))
    return int(line.split()[2])


# With its checks run on every hit (interval 0), /health/ writes to the cache each time.
HEALTH_EVERY_HIT = {"HEALTH_CHECK_INTERVAL": "0"}


def test_memcached_sees_one_connection_per_web_process_while_50_clients_use_it(stack, start_web):
    web = start_web(**HEALTH_EVERY_HIT)
    before = memcached_stat(stack.cache.port, "curr_connections")
    sets_before = memcached_stat(stack.cache.port, "cmd_set")

    with highest(lambda: memcached_stat(stack.cache.port, "curr_connections")) as peak:
        all_at_once(50, lambda: [heroku.request(web.url, "/health/") for _ in range(5)])

    assert memcached_stat(stack.cache.port, "cmd_set") - sets_before >= 250, "the cache was used"
    # The sampler's own connection is open in `before` and in each sample.
    assert peak[0] - before <= 2, f"{peak[0] - before} connections for 2 web processes"


def test_a_hung_memcached_delays_one_request_per_process_by_the_call_timeout(stack, start_web):
    # Longer than the default 0.2 s, so that a request which waited on memcached
    # (at least this long) stands apart from one slowed by a busy machine.
    call_timeout = 1.0
    web = start_web(CACHE_CALL_TIMEOUT=str(call_timeout), **HEALTH_EVERY_HIT)
    all_at_once(4, lambda: heroku.request(web.url, "/health/"))  # each process has connected

    stack.cache.pause()
    try:
        timings = [heroku.timed_request(web.url, "/health/") for _ in range(20)]
    finally:
        stack.cache.resume()

    slow = [seconds for _, seconds in timings if seconds >= call_timeout]
    assert 1 <= len(slow) <= 2, f"{len(slow)} slow requests, not one per process: {timings}"
    assert max(seconds for _, seconds in timings) < call_timeout + 1
    assert all(status in (200, 503) for status, _ in timings)
    warnings = web.output().count("memcached failed")
    assert 1 <= warnings <= 2, f"{warnings} warnings: one per process and outage"


# SLOW CLIENTS
# ------------------------------------------------------------------------------
SLOW_CLIENTS = 500
TRICKLE_SECONDS = 1.0
ANSWER_BESIDE_SLOW_CLIENTS_SECONDS = 2.0
REQUEST_DEADLINE_SECONDS = 3
# A request whose headers never end, and one whose body never does.
SLOW_STARTS = {
    "headers": b"POST /pings/ HTTP/1.1\r\nHost: 127.0.0.1\r\n",
    "body": (
        # An Origin and a CSRF cookie pass the CSRF check's first steps: Django then
        # reads the body for the token.
        b"POST /pings/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n"
        b"Origin: https://127.0.0.1\r\nCookie: csrftoken=" + b"a" * 32 + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
    ),
}


@contextmanager
def slow_clients(url: str, start: bytes) -> Iterator[list[socket.socket]]:
    """SLOW_CLIENTS connections that each send `start`, then one byte every
    TRICKLE_SECONDS for as long as the block lasts (slowloris: phones on a bad
    network, or an attack)."""
    port = int(url.rsplit(":", 1)[1])
    sockets: list[socket.socket] = []
    done = threading.Event()

    def keep_trickling() -> None:
        while not done.wait(TRICKLE_SECONDS):
            for connection in sockets:
                with contextlib.suppress(OSError):  # the server closed it
                    connection.send(b"a")

    trickler = threading.Thread(target=keep_trickling)
    try:
        for _ in range(SLOW_CLIENTS):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.send(start)
            sockets.append(connection)
        trickler.start()
        yield sockets
    finally:
        done.set()
        if trickler.is_alive():
            trickler.join()
        for connection in sockets:
            connection.close()


def first_line(connection: socket.socket, timeout: float) -> bytes:
    connection.settimeout(timeout)
    return connection.recv(64).split(b"\r\n", 1)[0]


@pytest.mark.parametrize("slow_part", sorted(SLOW_STARTS))
def test_500_slow_clients_leave_a_normal_request_answered_within_2_s(stack, start_web, slow_part):
    """A web dyno's default formation (2 processes) with 500 connections trickling
    their request a byte a second; a body never finished meets REQUEST_DEADLINE."""
    web = start_web(REQUEST_DEADLINE=str(REQUEST_DEADLINE_SECONDS))
    with slow_clients(web.url, SLOW_STARTS[slow_part]) as sockets:
        status, took = heroku.timed_request(web.url, "/", timeout=30)
        answered_slowest = (
            first_line(sockets[0], REQUEST_DEADLINE_SECONDS + 5) if slow_part == "body" else b""
        )

    assert status == 200, f"{status} after {took:.1f} s"
    assert took < ANSWER_BESIDE_SLOW_CLIENTS_SECONDS, f"answered after {took:.1f} s"
    if slow_part == "body":
        assert answered_slowest == b"HTTP/1.1 503 Service Unavailable"
