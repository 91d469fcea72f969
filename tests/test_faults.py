"""Faults a Heroku app meets, on the real servers: nothing hangs, nothing accepted
is lost, exactly one scheduler sends.

Each test starts the Procfile's processes it needs, as dynos, with production
settings and periods shortened through their settings: heartbeat every second,
a sweep for unanswered pings every 2 s, Redis's visibility timeout 3 s.
"""

import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from . import heroku, servers
from .helpers import found_in, free_port, generate_project, run, wait_for

pytestmark = pytest.mark.servers

HEARTBEAT_SECONDS = 1
SWEEP_SECONDS = 2
VISIBILITY_TIMEOUT_SECONDS = 3
# Tasks retry a database that is away for TASK_RETRY_FOR (12 s here), waiting at
# most 1 s between tries; the database test keeps it away for 8 retries.
TASK_RETRY_FOR_SECONDS = 12
OUTAGE_RETRIES = 8
# Within "a few seconds": the broker's timeouts (2 s) and connect budget (3 s).
ANSWER_WITHIN_SECONDS = 5

# A task that takes a while and a view that does, added to the test's copy of the
# project: each leaves a line in a file at its start (and the task at its end).
SLOW_TASK = '''

@shared_task
def nap(trace: str, seconds: float) -> None:
    """Takes a while; notes in `trace` each start and each end."""
    import time
    from pathlib import Path

    with Path(trace).open("a") as lines:
        lines.write("started\\n")
    time.sleep(seconds)
    with Path(trace).open("a") as lines:
        lines.write("finished\\n")
'''
SLOW_VIEW = """
import time
from pathlib import Path

from django.http import HttpResponse


def slow(request):
    with Path(TRACE).open("a") as lines:
        lines.write("started\\n")
    time.sleep(2)
    return HttpResponse("slept")


def slow_query(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    return HttpResponse("queried")
"""
SLOW_URL = """
from django.urls import path as _path
import fault_views
urlpatterns += [
    _path("faults/slow/", fault_views.slow),
    _path("faults/slow-query/", fault_views.slow_query),
]
"""


@dataclass
class Formation:
    """A released project, its add-ons, and the dynos the test starts."""

    project: Path
    venv: Path
    config: dict[str, str]
    database: servers.Server
    broker: servers.Server
    logs: Path
    dynos: list[heroku.Dyno] = field(default_factory=list)

    def start(self, process_type: str, **config: str) -> heroku.Dyno:
        config = {**self.config, "PORT": str(free_port()), **config}
        log = self.logs / f"{process_type}-{len(self.dynos)}.log"
        if process_type == "web":
            dyno = heroku.start_web(self.project, self.venv, config, log)
        else:
            dyno = heroku.start_dyno(self.project, self.venv, config, process_type, log)
        self.dynos.append(dyno)
        return dyno

    def shell(self, code: str) -> None:
        """Python in a one-off dyno (`heroku run`), e.g. to queue a task."""
        env = {**heroku.dyno_environment(self.venv, self.project), **self.config}
        run(["python", "manage.py", "shell", "--no-imports", "-c", code], self.project, env)

    def sql(self, statement: str, *params: object) -> tuple:
        """One row from the app's database, as a `heroku pg:psql` would give it."""
        url = self.database.env["DATABASE_URL"]
        with psycopg.connect(url, sslmode="require", autocommit=True) as connection:
            row = connection.execute(statement, params).fetchone()
        assert row is not None, f"no row for {statement}"
        return row

    def stop_dynos(self) -> None:
        heroku.stop_dynos(self.dynos)
        self.dynos.clear()


def released(broker: str, tmp_path: Path, venv: Path, running: ExitStack) -> Formation:
    database = running.enter_context(servers.postgres(tls=True, max_connections=20))
    cache = running.enter_context(servers.memcached(sasl=False))
    # Plain, not TLS: the tests hang and stop the broker; TLS is the Heroku-like tests' part.
    queue = running.enter_context(
        servers.redis(tls=False) if broker == "redis" else servers.rabbitmq()
    )
    project = generate_project(tmp_path, celery_broker=broker)
    with (project / "core" / "tasks.py").open("a") as tasks:
        tasks.write(SLOW_TASK)
    (project / "fault_views.py").write_text(
        SLOW_VIEW.replace("TRACE", repr(str(tmp_path / "views")))
    )
    with (project / "config" / "urls.py").open("a") as urls:
        urls.write(SLOW_URL)
    heroku.build(project, venv)
    config = heroku.heroku_config(
        database, cache, queue,
        HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS), SWEEP_SECONDS=str(SWEEP_SECONDS),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT_SECONDS), HEALTH_CHECK_INTERVAL="0",
        TASK_RETRY_FOR=str(TASK_RETRY_FOR_SECONDS), TASK_RETRY_BACKOFF_MAX="1",
    )  # fmt: skip
    heroku.release(project, venv, config)
    return Formation(project, venv, config, database, queue, tmp_path)


@pytest.fixture(scope="module")
def redis_formation(tmp_path_factory, production_venv) -> Iterator[Formation]:
    with ExitStack() as running:
        yield released("redis", tmp_path_factory.mktemp("faults-redis"), production_venv, running)


@pytest.fixture(scope="module")
def rabbitmq_formation(tmp_path_factory, production_venv) -> Iterator[Formation]:
    with ExitStack() as running:
        yield released(
            "rabbitmq", tmp_path_factory.mktemp("faults-rabbitmq"), production_venv, running
        )


@pytest.fixture
def formation(redis_formation: Formation) -> Iterator[Formation]:
    """The Redis formation, with the dynos this test started stopped after it."""
    yield redis_formation
    redis_formation.stop_dynos()


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# SCHEDULER
# ------------------------------------------------------------------------------
def sends(scheduler: heroku.Dyno) -> int:
    return scheduler.output().count("Sending due task")


def test_of_two_schedulers_one_sends_and_the_other_takes_over_when_it_is_killed(formation):
    first, second = formation.start("scheduler"), formation.start("scheduler")
    wait_for("a scheduler to lead", lambda: sends(first) + sends(second) > 0, 30)
    leader, other = (first, second) if sends(first) else (second, first)
    started = sends(leader)
    wait_for("three more sends", lambda: sends(leader) >= started + 3, 10 * HEARTBEAT_SECONDS)

    assert sends(other) == 0, "the second scheduler sent too"
    leader.signal(signal.SIGKILL)  # the dyno vanishes: no clean shutdown
    killed = time.monotonic()
    wait_for("the other scheduler to send", lambda: sends(other) > 0, 2 * HEARTBEAT_SECONDS)
    print(f"the other took over {time.monotonic() - killed:.2f} s after the kill")


# BROKER
# ------------------------------------------------------------------------------
def test_a_ping_while_the_broker_hangs_is_answered_at_once_and_run_when_it_is_back(formation):
    web = formation.start("web")
    formation.start("worker")
    formation.start("scheduler")
    visitor = heroku.Visitor(web.url)
    assert visitor.ping()[0] == 303  # the web process has its broker connection

    formation.broker.pause()
    try:
        status, ping_id, took = visitor.ping()
        health_status, health_took = heroku.timed_request(web.url, "/health/")
    finally:
        formation.broker.resume()

    assert (status, ping_id is not None) == (303, True)
    assert took < ANSWER_WITHIN_SECONDS, f"the ping took {took:.1f} s"
    assert health_status == 503 and health_took < ANSWER_WITHIN_SECONDS
    wait_for("the ping to be answered", lambda: visitor.answered_by(ping_id), 30)


def test_a_ping_while_the_broker_is_down_runs_after_it_comes_back_empty(formation):
    web = formation.start("web")
    formation.start("worker")
    formation.start("scheduler")
    visitor = heroku.Visitor(web.url)

    with formation.broker.down():  # Redis keeps nothing on disk: it comes back empty
        status, ping_id, took = visitor.ping()

    assert (status, took < ANSWER_WITHIN_SECONDS) == (303, True), f"{status} in {took:.1f} s"
    wait_for("the ping to be answered", lambda: visitor.answered_by(ping_id), 30)


def task_lines(worker: heroku.Dyno, task: str, outcome: str) -> int:
    """How many of the worker's log lines say `task` was received, succeeded or
    discarded (an expired message, dropped unrun)."""
    if outcome == "discarded":
        return worker.output().count(f"Discarding revoked task: {task}[")
    return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] {outcome}", worker.output()))


def queued_messages(broker: servers.Server) -> int:
    """The length of Celery's queue in Redis (LLEN celery), over Redis's own protocol."""
    password = servers.PASSWORD.encode()
    with socket.create_connection((servers.HOST, broker.port), timeout=5) as redis:
        redis.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(password), password))
        assert redis.recv(64) == b"+OK\r\n"
        redis.sendall(b"*2\r\n$4\r\nLLEN\r\n$6\r\ncelery\r\n")
        reply = redis.recv(64)
    return int(found_in(rb"^:(\d+)\r\n", reply).group(1))


def test_pings_queued_while_no_worker_runs_are_answered_about_once_each(formation):
    """A worker outage of five sweep periods, one ping every half a sweep period
    meanwhile: once a worker starts, each ping's task runs at most twice (its own
    message, and at most one a sweep sent), not once more for every sweep queued."""
    web = formation.start("web")
    scheduler = formation.start("scheduler")
    visitor = heroku.Visitor(web.url)
    ping_ids = []
    for _ in range(10):
        status, ping_id, _ = visitor.ping()
        assert status == 303 and ping_id is not None
        ping_ids.append(ping_id)
        sent = sends(scheduler)
        wait_for("the next scheduled send", lambda sent=sent: sends(scheduler) > sent, 10)
    worker = formation.start("worker")
    for ping_id in ping_ids:
        wait_for(f"ping {ping_id} to be answered", lambda p=ping_id: visitor.answered_by(p), 60)

    answer = "core.tasks.answer_ping"
    wait_for(
        "the queue to drain",
        lambda: (
            queued_messages(formation.broker) == 0
            and task_lines(worker, answer, "received")
            == task_lines(worker, answer, "succeeded") + task_lines(worker, answer, "discarded")
        ),
        60,
    )
    runs = task_lines(worker, answer, "succeeded")
    assert len(ping_ids) <= runs <= 2 * len(ping_ids), f"{runs} runs for {len(ping_ids)} pings"


# DATABASE
# ------------------------------------------------------------------------------
def test_a_task_that_meets_a_stopped_database_retries_until_it_is_back(formation):
    worker = formation.start("worker")
    (ping_id,) = formation.sql(
        "INSERT INTO core_ping (requested_at, answered_by) VALUES (now(), '') RETURNING id"
    )

    with formation.database.down():
        formation.shell(f"from core.tasks import answer_ping; answer_ping.delay({ping_id})")
        # Longer than five retries (the budget that gave up 54 s into an outage):
        # the budget is a time, TASK_RETRY_FOR, here shortened with its waits.
        wait_for(
            f"{OUTAGE_RETRIES} retries",
            lambda: worker.output().count("Retry in") >= OUTAGE_RETRIES,
            OUTAGE_RETRIES * 10,
        )

    wait_for(
        "the ping to be answered",
        lambda: formation.sql("SELECT answered_by FROM core_ping WHERE id = %s", ping_id)[0],
        60,
    )


# A migration that needs the pings table to itself (ACCESS EXCLUSIVE), added to the
# released project by the test that runs it.
LOCKING_MIGRATION = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "LATEST")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE core_ping ADD COLUMN fault_note text",
            "ALTER TABLE core_ping DROP COLUMN fault_note",
        )
    ]
"""
MIGRATION_LOCK_TIMEOUT_SECONDS = 1


def test_a_migration_waiting_for_a_lock_gives_way_to_the_site_and_applies_later(formation):
    """A transaction has read the table a migration alters: the release gives up
    after its attempts while the transaction lasts, applies once it ends, and the
    home page answers 200 throughout, never waiting much past the lock timeout."""
    web = formation.start("web")
    migrations = formation.project / "core" / "migrations"
    latest = max(path.stem for path in migrations.glob("0*.py"))
    (migrations / "9999_fault_note.py").write_text(LOCKING_MIGRATION.replace("LATEST", latest))
    url = formation.database.env["DATABASE_URL"]
    release_config = {"MIGRATION_LOCK_TIMEOUT": str(MIGRATION_LOCK_TIMEOUT_SECONDS)}
    pages: list[tuple[int, float]] = []

    def load_home_page_until(release: heroku.Dyno, attempts: int) -> None:
        deadline = time.monotonic() + 30
        while release.output().count("a table is in use") < attempts:
            assert release.process.poll() is None, release.output()
            assert time.monotonic() < deadline, f"no {attempts} attempts: {release.output()}"
            pages.append(heroku.timed_request(web.url, "/"))

    with psycopg.connect(url, sslmode="require") as reader:
        reader.execute("SELECT count(*) FROM core_ping")  # holds the table until it ends
        hopeless = formation.start("release", **release_config, MIGRATION_ATTEMPTS="2")
        load_home_page_until(hopeless, 2)
        assert hopeless.process.wait(timeout=30) != 0
        assert "Gave up after 2 attempts" in hopeless.output()
        patient = formation.start("release", **release_config, MIGRATION_ATTEMPTS="10")
        load_home_page_until(patient, 2)
        reader.commit()
    assert patient.process.wait(timeout=30) == 0, patient.output()

    (column,) = formation.sql(
        "SELECT count(*) FROM information_schema.columns WHERE column_name = 'fault_note'"
    )
    assert column == 1
    assert {status for status, _ in pages} == {200}
    slowest = max(took for _, took in pages)
    assert slowest < MIGRATION_LOCK_TIMEOUT_SECONDS + 2, f"a page took {slowest:.1f} s"


REQUEST_DEADLINE_SECONDS = 3


def test_a_hung_database_costs_a_request_at_most_the_deadline(formation):
    """PostgreSQL stopped, not down (every process of it, open sessions included),
    for longer than the deadline, six visitors at once. (How soon pages come back
    once it resumes, under steady traffic: test_fault_matrix.py.)"""
    web = formation.start("web", REQUEST_DEADLINE=str(REQUEST_DEADLINE_SECONDS))
    assert heroku.timed_request(web.url, "/")[0] == 200  # the pool holds a connection

    with formation.database.hung(), ThreadPoolExecutor(6) as visitors:
        answers = list(
            visitors.map(lambda _: heroku.timed_request(web.url, "/", timeout=30), range(6))
        )

    assert {status for status, _ in answers} == {503}, answers
    slowest = max(took for _, took in answers)
    assert slowest < REQUEST_DEADLINE_SECONDS + 1.5, f"a request waited {slowest:.1f} s"
    assert web.output().count("no answer within REQUEST_DEADLINE") == len(answers)


# WORKERS
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_task_whose_worker_is_killed_runs_again(broker, request, tmp_path):
    formation: Formation = request.getfixturevalue(f"{broker}_formation")
    trace = tmp_path / "nap"
    try:
        first = formation.start("worker")
        formation.shell(f"from core.tasks import nap; nap.delay({str(trace)!r}, 3)")
        wait_for("the task to start", lambda: lines(trace) == ["started"], 30)
        taken = time.monotonic()

        first.signal(signal.SIGKILL)  # the dyno vanishes mid-task
        first.process.wait()
        if broker == "redis":
            # Redis gives it back once the visibility timeout has passed since a
            # worker took it; a worker starting then finds it.
            time.sleep(max(0.0, taken + VISIBILITY_TIMEOUT_SECONDS - time.monotonic()))
        formation.start("worker")

        wait_for(
            "the task to run again to its end",
            lambda: lines(trace) == ["started", "started", "finished"],
            30,
        )
    finally:
        formation.stop_dynos()


# WEB
# ------------------------------------------------------------------------------
def test_sigterm_to_the_web_finishes_the_requests_it_holds(formation):
    web = formation.start("web")
    trace = formation.logs / "views"
    trace.unlink(missing_ok=True)

    with ThreadPoolExecutor(max_workers=10) as clients:
        answers = [
            clients.submit(heroku.request, web.url, "/faults/slow/", None, None, 30)
            for _ in range(10)
        ]
        wait_for("10 requests in progress", lambda: len(lines(trace)) == 10, 15)
        web.signal(signal.SIGTERM)
        statuses = [answer.result()[0] for answer in answers]

    assert statuses == [200] * 10


def test_a_query_past_the_statement_timeout_is_a_503_to_retry_with_one_log_line(formation):
    web = formation.start("web", DATABASE_STATEMENT_TIMEOUT="1")

    status, headers, body = heroku.request(web.url, "/faults/slow-query/")

    assert (status, headers.get("Retry-After")) == (503, "5"), body
    logged = web.output()
    assert logged.count("ran past the statement timeout") == 1, logged
    assert "Traceback" not in logged


def test_a_rolling_restart_under_load_fails_no_request(formation):
    wrk = servers.require_binary("wrk")
    web = formation.start("web")
    # A request fails a visitor when it errs or outlasts Heroku's router (30 s; then
    # H12), not when it waits 2 s (wrk's default timeout) for a worker that boots
    # while the machine is busy: wrk's timeout is the router's, less a margin. The
    # load lasts until both restarts are over (SIGINT: wrk stops and reports), not
    # for a fixed period: at full speed it takes both cores from the other tests.
    load = subprocess.Popen(
        [wrk, "-t2", "-c20", "-d60s", "--timeout", "25s", "-H", "X-Forwarded-Proto: https",
         web.url + "/"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        served = web.output().count('"GET / HTTP/1.1" 200')
        wait_for(
            "the load to start",
            lambda: web.output().count('"GET / HTTP/1.1" 200') > served + 50,
            10,
        )
        for restart in (1, 2):
            # To gunicorn's master alone: new workers start, the old ones finish and go.
            old_workers = heroku.web_workers(web)
            web.process.send_signal(signal.SIGHUP)
            wait_for(
                f"restart {restart}'s new workers, and the old ones gone",
                lambda restart=restart, old_workers=old_workers: (
                    web.output().count("Booting worker") >= 2 + 2 * restart
                    and not heroku.web_workers(web) & old_workers
                ),
                15,
            )
        load.send_signal(signal.SIGINT)
        report = load.communicate(timeout=30)[0]
    finally:
        load.kill()

    assert " requests in " in report
    assert "Non-2xx" not in report, report
    assert "Socket errors" not in report, report
