"""The generated project, run as Heroku runs it, on the real servers its add-ons provide.

For each broker option: build (install requirements.txt, collectstatic with no
secret and no database), release with the config vars Heroku would set, then the
Procfile's processes through honcho (web, scheduler, and worker scaled to 3),
checked over HTTP the way Heroku's router talks to a dyno.
"""

import contextlib
import gzip
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import browser, heroku, servers
from .helpers import generate_project, run, wait_for
from .paths import TEMPLATE_DIR, tool
from .processes import (
    SHUTDOWN_WINDOW,
    ancestry,
    honcho_pids,
    pid_in,
    process_tree,
    seconds_to_stop_on_sigterm,
    stop_formation,
)
from .template import procfile

pytestmark = pytest.mark.servers

# Screenshots from the browser test, kept for a person to look at.
ARTIFACTS = TEMPLATE_DIR / "artifacts" / "screenshots"
WORKERS = 3
PROJECT_NAME = "My Site"  # cookiecutter.json's default
PINGS = 30


@dataclass
class HerokuApp:
    """The running formation, and how to talk to it as Heroku's router does."""

    broker: str
    project: Path
    url: str
    config: dict[str, str]
    log: Path
    honcho: subprocess.Popen
    production_venv: Path

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        return heroku.request(self.url, path, data, headers)

    def process_ids(self, process_type: str) -> list[int]:
        return honcho_pids(self.log.read_text(), process_type)

    def worker_of(self, answered_by: str) -> str:
        """Which Procfile process (worker.1, scheduler.1, ...) ran a task."""
        chain = set(ancestry(pid_in(answered_by)))
        for process_type in ("worker", "scheduler", "web"):
            for number, pid in enumerate(self.process_ids(process_type), start=1):
                if pid in chain:
                    return f"{process_type}.{number}"
        return "unknown"

    def memcached_sets(self) -> int:
        """memcached's own count of set commands, asked with the add-on's credentials."""
        script = (
            "import os, pylibmc; "
            "c = pylibmc.Client([os.environ['MEMCACHIER_SERVERS']], binary=True, "
            "username=os.environ['MEMCACHIER_USERNAME'], "
            "password=os.environ['MEMCACHIER_PASSWORD']); "
            "print(int(c.get_stats()[0][1]['cmd_set']))"
        )
        env = {**os.environ, **self.config, "SASL_PATH": "/usr/lib/x86_64-linux-gnu/sasl2"}
        python = str(self.production_venv / "bin" / "python")
        return int(run([python, "-c", script], cwd=self.project, env=env).stdout)


@pytest.fixture(scope="module", params=["redis", "rabbitmq"])
def heroku_app(request, tmp_path_factory, production_venv) -> Iterator[HerokuApp]:
    broker = request.param
    servers.require_sasl_capable_pylibmc(production_venv)  # the cache is MemCachier's, with SASL
    tmp_path = tmp_path_factory.mktemp(f"heroku-{broker}")
    with ExitStack() as servers_running:
        database = servers_running.enter_context(servers.postgres(tls=True))
        cache = servers_running.enter_context(servers.memcached(sasl=True))
        queue = servers_running.enter_context(
            servers.redis(tls=True) if broker == "redis" else servers.rabbitmq()
        )
        project = generate_project(tmp_path, celery_broker=broker)
        heroku.build(project, production_venv)
        # /health/ checks afresh on every request (default: at most every 10 s).
        config = heroku.heroku_config(
            database, cache, queue,
            HEARTBEAT_SECONDS=str(heroku.HEARTBEAT_SECONDS), HEALTH_CHECK_INTERVAL="0",
        )  # fmt: skip
        heroku.release(project, production_venv, config)
        base_env = heroku.dyno_environment(production_venv, tmp_path)
        port = int(config["PORT"])
        commands = procfile(project)

        # The Procfile's own commands, each given DYNO (web.1, worker.2, ...) as on
        # Heroku, from the name honcho gives the process.
        dyno_procfile = tmp_path / "Procfile"
        dyno_procfile.write_text(
            "".join(
                f'{name}: DYNO="$HONCHO_PROCESS_NAME" {command}\n'
                for name, command in commands.items()
            )
        )
        log = tmp_path / "formation.log"
        # honcho from the template's virtualenv, where pytest runs.
        honcho = tool("honcho")
        formation = ["start", "--port", str(port), "--concurrency", f"worker={WORKERS}"]
        with log.open("w") as output:
            process = subprocess.Popen(
                [
                    honcho,
                    "--procfile",
                    str(dyno_procfile),
                    "--app-root",
                    str(project),
                    *formation,
                    "web",
                    "scheduler",
                    "worker",
                ],
                cwd=project,
                env={**base_env, **config},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        app = HerokuApp(
            broker, project, f"http://127.0.0.1:{port}", config, log, process, production_venv
        )
        try:
            wait_for("the web process", lambda: app.request("/")[0] == 200, 60)
            wait_for(
                "every Celery worker to be ready, and the scheduler to start",
                lambda: (
                    log.read_text().count(" ready.") >= WORKERS
                    and "beat: Starting..." in log.read_text()
                ),
                60,
            )
            yield app
        finally:
            stop_formation(process)


def test_pages_are_served_over_the_routers_https(heroku_app):
    status, headers, body = heroku_app.request("/")
    admin_status, _, admin = heroku_app.request(heroku.admin_path(heroku_app.project) + "login/")
    plain_status, plain_headers, _ = heroku_app.request("/", headers={"X-Forwarded-Proto": "http"})

    assert status == 200
    assert f"<h1>{PROJECT_NAME}</h1>".encode() in body
    assert "max-age=3600" in headers["Strict-Transport-Security"]
    assert admin_status == 200
    assert b'name="password"' in admin
    assert plain_status == 301
    assert plain_headers["Location"].startswith("https://")


def test_an_admin_made_with_heroku_run_logs_in_at_the_admin_url(heroku_app):
    superuser = {
        "DJANGO_SUPERUSER_USERNAME": "ann",
        "DJANGO_SUPERUSER_EMAIL": "ann@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "a long, unguessable password",
    }
    heroku.one_off(
        heroku_app.project,
        heroku_app.production_venv,
        {**heroku_app.config, **superuser},
        ["python", "manage.py", "createsuperuser", "--noinput"],
    )
    admin = heroku.admin_path(heroku_app.project)

    session = heroku.log_in(
        heroku_app.url, f"{admin}login/", "ann", superuser["DJANGO_SUPERUSER_PASSWORD"]
    )

    status, _, index = heroku_app.request(admin, headers=session)
    assert status == 200, "the new superuser is not let in"
    assert f"{admin}users/user/".encode() in index


def test_static_files_are_hashed_typed_and_cached(heroku_app):
    _, _, home = heroku_app.request("/")
    stylesheet = re.search(rb'href="(/static/core/site\.[0-9a-f]{12}\.css)"', home).group(1)

    status, headers, body = heroku_app.request(stylesheet.decode())

    assert status == 200
    assert headers["Content-Type"] == "text/css"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"background" in body


def test_text_static_files_are_sent_gzipped_to_browsers_that_accept_it(heroku_app):
    _, _, login = heroku_app.request(heroku.admin_path(heroku_app.project) + "login/")
    found = re.search(rb'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login)
    assert found is not None
    stylesheet = found.group(1).decode()

    status, headers, body = heroku_app.request(stylesheet, headers={"Accept-Encoding": "gzip"})
    _, plain_headers, plain = heroku_app.request(stylesheet)

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert len(body) < len(plain) / 3, f"{len(body)} of {len(plain)} bytes"
    assert "Content-Encoding" not in plain_headers


def test_health_is_green_with_real_servers_and_a_live_scheduler(heroku_app):
    def green() -> dict | None:
        status, _, body = heroku_app.request("/health/")
        return json.loads(body) if status == 200 else None

    report = wait_for("a green /health/", green, heroku.HEARTBEAT_DEADLINE_SECONDS)

    assert set(report) == {"ok", "database", "cache", "broker", "scheduler"}
    assert all(part == {"ok": True} for name, part in report.items() if name != "ok")
    home = heroku_app.request("/")[2].decode()
    recorded_by = heroku.heartbeat_recorder(home)
    ran_by = heroku_app.worker_of(recorded_by)
    assert ran_by.startswith("worker."), f"the scheduler only sends; {ran_by} ran it"


def test_web_requests_enqueue_tasks_that_the_workers_share(heroku_app):
    visitor = heroku.Visitor(heroku_app.url)

    ping_ids = []
    for _ in range(PINGS):
        status, ping_id, _ = visitor.ping()
        assert status == 303
        ping_ids.append(ping_id)

    def all_answered() -> list[str] | None:
        answers = [visitor.answered_by(ping_id) for ping_id in ping_ids]
        return answers if all(answers) else None

    answers = wait_for(f"{PINGS} pings to be answered", all_answered, 60)
    ran_on = {heroku_app.worker_of(answer) for answer in answers}
    assert ran_on == {f"worker.{n}" for n in range(1, WORKERS + 1)}, ran_on


def test_cached_values_land_in_memcached(heroku_app):
    before = heroku_app.memcached_sets()

    for _ in range(3):
        heroku_app.request("/health/")  # sets and reads a key through the cache

    assert heroku_app.memcached_sets() >= before + 3


# (screenshot name, path, element whose stylesheet colours it, the colour it gets
# when the CSS applied)
STYLED_PAGES = [
    ("home", "/", "body", "rgb(244, 246, 248)"),  # core/static/core/site.css
    ("admin-login", "{admin}login/", "#header", "rgb(65, 118, 144)"),  # Django admin's CSS
]


# Once: the pages the browser sees are the same whichever broker the app uses.
@pytest.mark.browser
@pytest.mark.parametrize("heroku_app", ["redis"], indirect=True)
def test_a_real_browser_shows_the_pages_styled_and_without_errors(heroku_app):
    chromium = servers.require_binary("chromium")
    for name, page, element, colour in STYLED_PAGES:
        path = page.format(admin=heroku.admin_path(heroku_app.project))
        screenshot = ARTIFACTS / f"{heroku_app.broker}-{name}.png"

        seen = browser.visit(
            chromium, heroku_app.url + path, heroku.ROUTER_HEADERS, element, screenshot
        )

        assert seen.problems == [], path
        assert seen.colour == colour, f"{path}: the stylesheet did not apply"
        assert screenshot.stat().st_size > 0


@pytest.mark.browser
@pytest.mark.parametrize("heroku_app", ["redis"], indirect=True)
def test_the_page_shows_a_pings_answer_by_itself(heroku_app):
    chromium = servers.require_binary("chromium")
    workers = [pid for dyno in heroku_app.process_ids("worker") for pid in process_tree(dyno)]
    signal_all(workers, signal.SIGSTOP)  # the ping waits, whatever the machine's speed
    try:
        status, ping_id, _ = heroku.Visitor(heroku_app.url).ping()
        assert status == 303
        answered_by = browser.answer_shown_without_reload(
            chromium,
            f"{heroku_app.url}/?ping={ping_id}",
            heroku.ROUTER_HEADERS,
            let_answer=lambda: signal_all(workers, signal.SIGCONT),
        )
    finally:
        signal_all(workers, signal.SIGCONT)

    assert heroku_app.worker_of(answered_by).startswith("worker.")


def signal_all(pids: list[int], number: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, number)


def test_every_process_logs_to_stdout_and_stops_on_sigterm_in_time(heroku_app):
    heroku_app.request("/")
    took = seconds_to_stop_on_sigterm(heroku_app.honcho.pid)

    log = heroku_app.log.read_text()
    assert took < SHUTDOWN_WINDOW
    for process in ("web.1", "scheduler.1", *(f"worker.{n}" for n in range(1, WORKERS + 1))):
        assert re.search(rf"{re.escape(process)} +\| \S", log), f"{process} logged nothing"
    assert "request_id=" in log
