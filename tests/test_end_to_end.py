"""The README's `make demo` really runs the site, its worker and its scheduler on
embedded defaults, and the work happens in the worker processes."""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import heroku
from .helpers import copy_template, found_in, free_port, wait_for
from .processes import (
    SHUTDOWN_WINDOW,
    ancestry,
    honcho_pids,
    pid_in,
    seconds_to_stop_on_sigterm,
    stop_formation,
)

pytestmark = pytest.mark.venv  # make demo builds a venv

# venv and pip make two virtualenvs before the site is up.
START_DEADLINE_SECONDS = 300


@dataclass
class RunningDemo:
    url: str
    project: Path
    log: Path
    process: subprocess.Popen
    opener: urllib.request.OpenerDirector

    # A visitor waits as long as Heroku's router: a web worker that has just restarted
    # loads the project first, which takes seconds on a busy machine.
    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(
                self.url + path, timeout=heroku.ROUTER_TIMEOUT_SECONDS
            ) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:  # 503 from /health/ still has a body
            return error.code, error.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> str:
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(
            self.url + path, data=data, timeout=heroku.ROUTER_TIMEOUT_SECONDS
        ) as response:
            return response.url

    def ping_the_workers(self) -> str:
        """Press the home page's button; return which process answered the ping."""
        _, home = self.get("/")
        token = found_in(r'name="csrfmiddlewaretoken" value="([^"]+)"', home).group(1)
        landed_on = self.post("/pings/", {"csrfmiddlewaretoken": token})
        ping_id = found_in(r"\?ping=(\d+)$", landed_on).group(1)

        def answer() -> str:
            return json.loads(self.get(f"/pings/{ping_id}/")[1])["answered_by"]

        return wait_for("a worker to answer the ping", answer, 30)

    def process_id(self, process_type: str) -> int:
        """The pid honcho reported when it started `process_type`.1."""
        started = honcho_pids(self.log.read_text(), process_type)
        assert started, f"{process_type} never started:\n{self.log.read_text()}"
        return started[0]


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, offline_pip: dict[str, str]
) -> Iterator[RunningDemo]:
    """`make demo` in a clean copy of the template, shared by this module's tests
    (the last one stops it) and stopped with SIGTERM in any case. Its pip installs
    the files a user's would fetch, from the wheelhouse (tests/wheelhouse.py)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    template = copy_template(tmp_path / "django-skel")
    port = free_port()
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(offline_pip)
    env["HEARTBEAT_SECONDS"] = str(heroku.HEARTBEAT_SECONDS)
    # /health/ runs its checks afresh on each visit, not at most every 10 s.
    env["HEALTH_CHECK_INTERVAL"] = "0"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "demo", f"DEMO_PORT={port}", f"PYTHON={sys.executable}"],
            cwd=template,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, to signal all of it
        )
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    project = template / "demo" / "my_site"
    running = RunningDemo(f"http://127.0.0.1:{port}", project, log, process, opener)
    try:
        wait_for("the home page", lambda: running.get("/")[0] == 200, START_DEADLINE_SECONDS)
        yield running
    finally:
        stop_formation(process)


def test_a_web_request_task_runs_in_a_worker_process(demo):
    answered_by = demo.ping_the_workers()

    chain = ancestry(pid_in(answered_by))
    assert demo.process_id("worker") in chain, f"{answered_by} is not the worker: {chain}"
    assert demo.process_id("web") not in chain


def test_the_scheduler_heartbeat_fires_and_health_turns_green(demo):
    def green_health() -> dict | None:
        status, body = demo.get("/health/")
        return json.loads(body) if status == 200 else None

    report = wait_for("a heartbeat on /health/", green_health, heroku.HEARTBEAT_DEADLINE_SECONDS)

    assert report["database"]["ok"] and report["cache"]["ok"] and report["broker"]["ok"]
    recorded_by = heroku.heartbeat_recorder(demo.get("/")[1])
    chain = ancestry(pid_in(recorded_by))
    assert demo.process_id("worker") in chain, f"{recorded_by} is not the worker: {chain}"


def test_createsuperuser_through_honcho_makes_an_admin_who_logs_in(demo):
    """The README's local command, with the demo's .env (SQLite, local settings); the
    admin at the project's drawn address then lets the new superuser in."""
    env = {
        "PATH": f"{demo.project / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(demo.project), "LANG": "C.UTF-8",
        "DJANGO_SUPERUSER_PASSWORD": "a long, unguessable password",
    }  # fmt: skip
    command = "honcho run python manage.py createsuperuser --noinput --username ann"
    subprocess.run(
        [*command.split(), "--email", "ann@example.com"],
        cwd=demo.project, env=env, check=True, timeout=120,
    )  # fmt: skip

    admin = heroku.admin_path(demo.project)
    password = env["DJANGO_SUPERUSER_PASSWORD"]
    session = heroku.log_in(demo.url, f"{admin}login/", "ann", password, https=False)
    status, _, index = heroku.request(demo.url, admin, headers=session)

    assert status == 200
    assert b"/users/user/" in index


def test_a_code_change_restarts_the_web_and_the_worker_which_then_answer(demo):
    """The demo's .env has CODE_RELOAD=on: gunicorn's reloader restarts the web
    workers, config/reload.py the Celery worker (in place: honcho sees the same pid)."""
    # Both load the settings as they start. (A module first loaded in the second
    # before a change would go unnoticed: the reloaders take its time then.)
    before = demo.log.read_text()
    web_workers = before.count("Booting worker") - before.count("Worker exiting")
    settings = demo.project / "config" / "settings" / "local.py"
    settings.write_text(settings.read_text() + "\n# Changed by the template's end-to-end test.\n")
    later = settings.stat().st_mtime + 2  # past any whole-second file time stamps
    os.utime(settings, (later, later))

    def restarted() -> bool:
        # Each web worker notices the change on its own, up to a second apart, and
        # its replacement then loads the project: wait for all of them, or the
        # visit may reach old code, or wait on a worker that is going.
        log = demo.log.read_text()
        reloaded = log.count("Worker reloading") - before.count("Worker reloading")
        booted = log.count("Booting worker") - before.count("Booting worker")
        celery_restarted = "Restarting celery worker" in log
        return reloaded >= web_workers and booted >= web_workers and celery_restarted

    try:
        wait_for("the web and the worker to restart", restarted, 60)
    except pytest.fail.Exception as failure:
        pytest.fail(f"{failure}\n{demo.log.read_text()[len(before) :][-6000:]}")
    answered_by = demo.ping_the_workers()
    assert demo.process_id("worker") in ancestry(pid_in(answered_by))


def test_every_process_logs_and_all_stop_on_sigterm_within_herokus_window(demo):
    demo.get("/")

    took = seconds_to_stop_on_sigterm(demo.process.pid)

    log = demo.log.read_text()
    assert took < SHUTDOWN_WINDOW, f"took {took:.1f} s to stop"
    for process_type in ("web", "scheduler", "worker"):
        assert re.search(rf"{process_type}\.1 +\| ", log), f"no output from {process_type}"
    assert re.search(r'"GET / HTTP/1.1" 200', log), "no access log line for the home page"
