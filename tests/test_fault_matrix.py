"""The fault matrix: each dependency (PostgreSQL, memcached, the broker) failing in
each way it can, with visitors loading pages and pressing "Ping the workers"
throughout, on a released project with the Procfile's web, worker and scheduler.

For every cell: no answer waits past the deadline (REQUEST_DEADLINE here, 25 s on
Heroku, below the router's 30 s), pages answer 200 again within 5 s of the
dependency's return, every ping the site accepted is answered, and the scheduler's
heartbeat is fresh again.

Each fault lasts longer than every budget the web has for it (the request
deadline, the pool's wait, the broker's connect timeout). The generated README's
fault table names this test for each row.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psycopg
import pytest

from . import heroku, servers
from .helpers import generate_project, wait_for
from .proxy import Proxy

pytestmark = pytest.mark.servers

REQUEST_DEADLINE_SECONDS = 5
# Longer than the deadline, the pool's wait (5 s) and the broker's budget (3 s).
FAULT_SECONDS = 7
# A page may take the deadline, plus the time to send its 503 on a busy machine.
ANSWER_BOUND_SECONDS = REQUEST_DEADLINE_SECONDS + 2
PAGES_AGAIN_WITHIN_SECONDS = 5

DEPENDENCIES = ["postgres", "memcached", "redis", "rabbitmq"]
MODES = ["stopped", "hung", "restarted", "slow", "partitioned"]
# What a visitor may be answered while the dependency fails: only the database
# may make a page fail, and it must say so (503 with Retry-After).
HOME_PAGE_ANSWERS = {"postgres": {200, 503}, "memcached": {200}, "redis": {200}, "rabbitmq": {200}}
# The database and the cache are the same with either broker: the Redis site's.
SITE_OF = {"rabbitmq": "rabbitmq"}
PING_ANSWERS = {"postgres": {303, 503}, "memcached": {303}, "redis": {303}, "rabbitmq": {303}}


@dataclass
class Site:
    """A released project whose add-ons are reached through proxies, and its dynos."""

    web: heroku.Dyno
    servers: dict[str, servers.Server]
    proxies: dict[str, Proxy]
    logs: Path

    def log_tails(self, lines: int = 40) -> str:
        """The end of each dyno's log, to tell why a wait failed."""
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for log in sorted(self.logs.glob("*.log"))
        )


def through(proxy: Proxy, server: servers.Server) -> dict[str, str]:
    """The server's config vars, with its address replaced by the proxy's."""
    address, proxied = f"{servers.HOST}:{server.port}", f"{servers.HOST}:{proxy.port}"
    return {name: value.replace(address, proxied) for name, value in server.env.items()}


@contextmanager
def released_site(broker: str, tmp_path: Path, venv: Path) -> Iterator[Site]:
    """PostgreSQL, memcached and the broker, each behind a proxy; a project released
    on them, with its web, worker and scheduler running."""
    with ExitStack() as running:
        started = {
            "postgres": running.enter_context(servers.postgres(tls=True, max_connections=20)),
            "memcached": running.enter_context(servers.memcached(sasl=False)),
            broker: running.enter_context(
                servers.redis(tls=False) if broker == "redis" else servers.rabbitmq()
            ),
        }
        proxies = {name: running.enter_context(Proxy(s.port)) for name, s in started.items()}
        add_ons = {}
        for name, server in started.items():
            add_ons.update(through(proxies[name], server))
        project = generate_project(tmp_path, celery_broker=broker)
        heroku.build(project, venv)
        config = {
            **heroku.heroku_config(started["postgres"]),
            **add_ons,
            "REQUEST_DEADLINE": str(REQUEST_DEADLINE_SECONDS),
            "HEARTBEAT_SECONDS": "1", "SWEEP_SECONDS": "2", "HEALTH_CHECK_INTERVAL": "0",
            "TASK_RETRY_FOR": "60", "TASK_RETRY_BACKOFF_MAX": "2",
        }  # fmt: skip
        with heroku.running_formation(project, venv, config, tmp_path) as web:
            yield Site(web, started, proxies, tmp_path)


@pytest.fixture(scope="module")
def redis_site(tmp_path_factory: pytest.TempPathFactory, production_venv: Path) -> Iterator[Site]:
    with released_site("redis", tmp_path_factory.mktemp("matrix-redis"), production_venv) as site:
        yield site


@pytest.fixture(scope="module")
def rabbitmq_site(
    tmp_path_factory: pytest.TempPathFactory, production_venv: Path
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("matrix-rabbitmq")
    with released_site("rabbitmq", folder, production_venv) as site:
        yield site


def fault(site: Site, dependency: str, mode: str) -> AbstractContextManager[None]:
    """The fault, for as long as the block lasts ("restarted": at its start)."""
    server, proxy = site.servers[dependency], site.proxies[dependency]
    made: dict[str, Callable[[], AbstractContextManager[None]]] = {
        "stopped": server.down,
        "hung": server.hung,
        "restarted": lambda: restarted(server),
        "slow": proxy.slow,
        "partitioned": proxy.partitioned,
    }
    return made[mode]()


@contextmanager
def restarted(server: servers.Server) -> Iterator[None]:
    """Stopped and started again at once, empty; the traffic meets the recovery."""
    with server.down():
        pass
    yield


# A visitor's pace: a page and a ping every 0.2 s at most.
VISIT_EVERY_SECONDS = 0.2


def visit_throughout(visitor: heroku.Visitor, seconds: float) -> tuple[list, list]:
    """Load the home page and press the button, turn about, for `seconds`."""
    pages, pings = [], []
    deadline = time.monotonic() + seconds
    while (started := time.monotonic()) < deadline:
        pages.append(heroku.timed_request(visitor.url, "/", timeout=30))
        pings.append(visitor.ping(timeout=30))
        time.sleep(max(0.0, started + VISIT_EVERY_SECONDS - time.monotonic()))
    return pages, pings


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dependency", DEPENDENCIES)
def test_a_fault(request: pytest.FixtureRequest, dependency: str, mode: str) -> None:
    site: Site = request.getfixturevalue(f"{SITE_OF.get(dependency, 'redis')}_site")
    wait_for("a page", partial(home_page_answers, site), 30)
    visitor = heroku.Visitor(site.web.url)

    with fault(site, dependency, mode):
        pages, pings = visit_throughout(visitor, FAULT_SECONDS)
    back = time.monotonic()
    wait_for("a page", partial(home_page_answers, site), 60)
    pages_again = time.monotonic() - back
    accepted = [ping_id for status, ping_id, _ in pings if status == 303 and ping_id]
    try:
        for ping_id in accepted:
            wait_for(f"ping {ping_id} answered", partial(visitor.answered_by, ping_id), 60)
        # The scheduler schedules again, and a worker records what it sends.
        url = site.servers["postgres"].env["DATABASE_URL"]
        with psycopg.connect(url, sslmode="require", autocommit=True) as database:
            wait_for("a fresh heartbeat", partial(heartbeat_is_fresh, database), 60)
    except pytest.fail.Exception as failure:
        pytest.fail(f"{failure}\n{site.log_tails()}")

    slowest = max([took for _, took in pages] + [took for _, _, took in pings])
    assert slowest < ANSWER_BOUND_SECONDS, f"an answer took {slowest:.1f} s"
    assert {status for status, _ in pages} <= HOME_PAGE_ANSWERS[dependency], pages
    assert {status for status, _, _ in pings} <= PING_ANSWERS[dependency], pings
    assert pages_again < PAGES_AGAIN_WITHIN_SECONDS, f"pages again {pages_again:.1f} s on"
    print(f"{dependency} {mode}: {len(pages)} pages, {len(accepted)} pings accepted")


# As /health/ judges it: within 3 heartbeat periods (HEARTBEAT_SECONDS=1 here).
FRESH_HEARTBEAT = "SELECT now() - max(ran_at) < interval '3 seconds' FROM core_periodicrun"


def heartbeat_is_fresh(database: psycopg.Connection) -> bool:
    """The last heartbeat is recent, as the database itself says: asked directly,
    not through the site, whose /health/ would add its own load to the cell."""
    row = database.execute(FRESH_HEARTBEAT + " WHERE job = 'heartbeat'").fetchone()
    return bool(row and row[0])


def home_page_answers(site: Site) -> bool:
    return heroku.timed_request(site.web.url, "/")[0] == 200
