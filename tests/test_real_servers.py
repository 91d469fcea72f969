"""The generated project against each real server, configured as its add-on hands it over."""

import secrets
import socket
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from . import servers
from .helpers import generate_project, run, wait_for

pytestmark = pytest.mark.servers

ServerFactory = Callable[[], AbstractContextManager[servers.Server]]
ALL_SERVERS: dict[str, ServerFactory] = {
    "postgres": lambda: servers.postgres(tls=False),
    "postgres-tls": lambda: servers.postgres(tls=True),
    "memcached": lambda: servers.memcached(sasl=False),
    "memcached-sasl": lambda: servers.memcached(sasl=True),
    "redis": lambda: servers.redis(tls=False),
    "redis-tls": lambda: servers.redis(tls=True),
    "rabbitmq": servers.rabbitmq,
}
BROKER_SERVERS = {"redis": ["redis", "redis-tls"], "rabbitmq": ["rabbitmq"]}
BROKER_NAMES = {name for names in BROKER_SERVERS.values() for name in names}
NOT_BROKERS = {name: server for name, server in ALL_SERVERS.items() if name not in BROKER_NAMES}


@dataclass
class ProductionShell:
    """Python run in a generated project under production settings."""

    broker: str
    project: Path
    env: dict[str, str]

    def python(self, code: str, **add_ons: str) -> str:
        """Run `code` with these add-on variables set; return what it printed."""
        command = ["python", "manage.py", "shell", "--no-imports", "-c", code]
        return run(command, cwd=self.project, env={**self.env, **add_ons}).stdout.strip()


def production_shell(broker: str, output_dir: Path, venv: Path) -> ProductionShell:
    project = generate_project(output_dir, celery_broker=broker)
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": str(project),
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Placeholders that pass the start-up check; each test sets the real one it uses.
        "DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:1/none",
        "CELERY_BROKER_URL": "memory://",
    }
    return ProductionShell(broker, project, env)


@pytest.fixture(scope="module")
def shell(tmp_path_factory, project_venv) -> ProductionShell:
    """For what does not depend on the broker: the database and the cache."""
    return production_shell("redis", tmp_path_factory.mktemp("shell"), project_venv)


@pytest.fixture(scope="module", params=sorted(BROKER_SERVERS))
def broker_shell(request, tmp_path_factory, project_venv) -> ProductionShell:
    output_dir = tmp_path_factory.mktemp(request.param)
    return production_shell(request.param, output_dir, project_venv)


def test_the_scheduler_lock_is_let_go_within_a_minute_of_a_vanished_holder(shell):
    """A lost dyno closes nothing: only the server's TCP keepalives end its session,
    and with it the advisory lock. Left at the OS's default, that takes two hours."""
    with servers.postgres(tls=True) as database:
        keepalives = shell.python(
            "from groundwork.scheduler import PostgresAdvisoryLock; "
            "lock = PostgresAdvisoryLock(); assert lock.hold(); "
            "print(*(lock._connection.execute(f'SHOW {name}').fetchone()[0] for name in "
            "('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count')))",
            **database.env,
        )

    idle, interval, count = (int(value.rstrip("s")) for value in keepalives.split())
    assert idle + interval * count <= 60, keepalives


def test_release_migrates_over_tls_and_the_server_refuses_plaintext(shell):
    with servers.postgres(tls=True) as database:
        url = database.env["DATABASE_URL"]
        migrated_over_tls = shell.python(
            "from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); "
            "from django.db import connection; cursor = connection.cursor(); "
            "cursor.execute('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'); "
            "print(cursor.fetchone()[0])",
            DATABASE_URL=url,
        )
        psql = servers.postgres_binary("psql")
        plaintext = subprocess.run(
            [psql, f"{url}?sslmode=disable", "-c", "SELECT 1"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert migrated_over_tls == "True"
    assert plaintext.returncode != 0
    assert "no encryption" in plaintext.stderr


# Starting Django and connecting take well under this; Python 3.13's wait for the
# pool's threads at exit took 5 s per thread (20 s in all).
PROMPT_EXIT_SECONDS = 2.5


def test_database_commands_exit_as_soon_as_their_work_is_done(shell):
    """The release phase and every `heroku run` on the default Python (3.13):
    the process's database pool is closed before the interpreter's exit."""
    with servers.postgres(tls=True) as database:
        env = {**shell.env, **database.env}
        run(["python", "manage.py", "migrate", "--noinput"], shell.project, env)
        started = time.monotonic()
        migrated_again = run(["python", "manage.py", "migrate", "--noinput"], shell.project, env)
        migrate_took = time.monotonic() - started
        query = (
            "from core.models import Ping; Ping.objects.count(); import time; print(time.time())"
        )
        queried = run(
            ["python", "manage.py", "shell", "--no-imports", "-c", query], shell.project, env
        )
        exit_took = time.time() - float(queried.stdout.split()[-1])

    for result in (migrated_again, queried):
        assert "couldn't stop thread" not in result.stdout + result.stderr
    assert exit_took < PROMPT_EXIT_SECONDS, f"exited {exit_took:.1f} s after its query"
    assert migrate_took < 2 * PROMPT_EXIT_SECONDS, (
        f"migrate with nothing to do took {migrate_took:.1f} s"
    )


@pytest.mark.parametrize("sasl", [False, True], ids=["memcache-servers", "memcachier-sasl"])
def test_cache_round_trips_through_real_memcached(shell, sasl, project_venv):
    if sasl:
        servers.require_sasl_capable_pylibmc(project_venv)
    with servers.memcached(sasl=sasl) as memcached:
        printed = shell.python(
            "from django.core.cache import caches; cache = caches['default']; "
            "cache.set('greeting', 'hello', 30); "
            "print(type(cache).__name__, cache.get('greeting'))",
            **memcached.env,
        )

    assert printed == "SharedPyLibMCCache hello"


# A request's cache use, over and over: each line says whether a value just set
# could be read back, and when (a monotonic clock, the same in every process).
STEADY_CACHE_TRAFFIC = """
import time
from django.core.cache import caches
cache = caches["default"]
while True:
    cache.set("greeting", "hello", 30)
    print("hit" if cache.get("greeting") == "hello" else "miss", time.monotonic(), flush=True)
    time.sleep(0.02)
"""
CACHE_RETRY_AFTER = 1.0


def cache_answers(log: Path, kind: str, after: float) -> list[float]:
    """When the traffic's `kind` ("hit" or "miss") answers came, from `after` on."""
    found = []
    for line in log.read_text().splitlines():
        word, _, seen = line.partition(" ")
        if word == kind and float(seen) > after:
            found.append(float(seen))
    return found


@pytest.mark.parametrize("sasl", [False, True], ids=["memcache-servers", "memcachier-sasl"])
def test_the_cache_is_used_again_within_a_second_of_a_restarted_memcached(
    shell, sasl, project_venv, tmp_path
):
    """A MemCachier maintenance restart: memcached away longer than CACHE_RETRY_AFTER,
    then back on its address, empty, with traffic all along."""
    if sasl:
        servers.require_sasl_capable_pylibmc(project_venv)
    log = tmp_path / "traffic.log"
    with servers.memcached(sasl=sasl) as memcached, log.open("w") as output:
        env = {**shell.env, **memcached.env, "CACHE_RETRY_AFTER": str(CACHE_RETRY_AFTER)}
        command = ["python", "manage.py", "shell", "--no-imports", "-c", STEADY_CACHE_TRAFFIC]
        traffic = subprocess.Popen(command, cwd=shell.project, env=env, stdout=output)
        try:
            wait_for("the cache to answer", lambda: cache_answers(log, "hit", 0), 30)
            with memcached.down():
                went_down = time.monotonic()
                wait_for("misses", lambda: cache_answers(log, "miss", went_down), 10)
                time.sleep(3 * CACHE_RETRY_AFTER)  # the outage outlasts every retry window
            back = time.monotonic()
            first_hit = wait_for("a hit", lambda: cache_answers(log, "hit", back), 10)[0]
        finally:
            traffic.kill()
            traffic.wait()

    assert first_hit - back <= CACHE_RETRY_AFTER + 1, f"hits again {first_hit - back:.1f} s on"


def test_the_rate_limit_counts_in_real_memcached(shell):
    """The limit lets a request through when the cache cannot count: on a working
    memcached it must count, or no limit would ever hold in production."""
    with servers.memcached(sasl=False) as memcached:
        printed = shell.python(
            "from groundwork.ratelimit import over_limit; "
            "print([over_limit('test:client', 2)[0] for _ in range(3)])",
            **memcached.env,
        )

    assert printed.splitlines()[-1] == "[False, False, True]"


def test_a_wrong_memcachier_password_is_a_miss_not_an_error(shell):
    with servers.memcached(sasl=True) as memcached:
        printed = shell.python(
            "from django.core.cache import caches; cache = caches['default']; "
            "cache.set('greeting', 'hello', 30); print(cache.get('greeting', 'missed'))",
            **{**memcached.env, "MEMCACHIER_PASSWORD": "wrong"},
        )

    assert printed.splitlines()[-1] == "missed"


def test_the_broker_add_on_is_reached(broker_shell):
    """And each broker server, reached, is gone after its stop (the next test's
    check for the other servers: RabbitMQ takes seconds to start)."""
    shell = broker_shell
    transports = {"redis": "redis", "redis-tls": "rediss", "rabbitmq": "amqp"}
    for name in BROKER_SERVERS[shell.broker]:
        with ALL_SERVERS[name]() as queue:
            printed = shell.python(
                "from groundwork.health import check_broker; print(check_broker())",
                **queue.env,
                CELERY_BROKER_URL="",  # unset: the add-on's own variable must be read
            )
        assert printed.splitlines()[-1] == transports[name], f"{queue.name}: {printed}"
        assert not port_answers(queue.port), f"{queue.name} still answers after its stop"


@pytest.mark.parametrize("server", NOT_BROKERS.values(), ids=NOT_BROKERS.keys())
def test_a_server_answers_while_running_and_is_gone_after(server):
    with server() as running:
        assert port_answers(running.port)

    assert not port_answers(running.port), f"{running.name} still answers after its stop"


def port_answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((servers.HOST, port)) == 0


def test_a_paused_postgresql_answers_no_open_session_until_it_resumes():
    """pause() hangs the whole server: an open session's query gets no answer."""
    with servers.postgres(tls=False) as database:
        url = database.env["DATABASE_URL"]
        with psycopg.connect(url, autocommit=True) as session, ThreadPoolExecutor(1) as query:
            session.execute("SELECT 1")
            with database.hung():
                answer = query.submit(lambda: session.execute("SELECT 2").fetchone())
                with pytest.raises(FutureTimeout):
                    answer.result(timeout=2)
            assert answer.result(timeout=10) == (2,)
