"""What Heroku does with a generated project, replayed here: the build, the config
vars, the release phase, a dyno running a Procfile command, and the router's
requests. Shared by every test that runs a project on real servers."""

import json
import os
import re
import secrets
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from . import servers
from .helpers import found_in, free_port, run, wait_for
from .processes import live_processes_in_group, stop_process_groups
from .template import procfile

# The router ends TLS and says so; the app sees plain HTTP from it.
ROUTER_HEADERS = {"X-Forwarded-Proto": "https"}
# How long the router waits for an answer before it gives the visitor a 503 (H12).
ROUTER_TIMEOUT_SECONDS = 30


# The heartbeat every 2 s (HEARTBEAT_SECONDS), not the default minute; how long a
# test waits for /health/ to turn green.
HEARTBEAT_SECONDS = 2
HEARTBEAT_DEADLINE_SECONDS = 60


def heartbeat_recorder(home_page: str) -> str:
    """Who recorded the last heartbeat ("<host> pid <n>"), as the home page says."""
    found = re.search(r"recorded by (.+? pid \d+)\.", home_page)
    assert found, "the home page names no heartbeat's recorder"
    return found.group(1)


def heroku_config(database: servers.Server, *add_ons: servers.Server, **overrides: str) -> dict:
    """The config vars of a Heroku app with these add-ons."""
    config = {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,[::1]",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        # The tests press "Ping the workers" far more often than a visitor may
        # (10 a minute); the generated project's test_pages tests the limit.
        "PINGS_PER_MINUTE": "10000",
        **database.env,
    }
    for add_on in add_ons:
        config.update(add_on.env)
    return {**config, **overrides}


def dyno_environment(venv: Path, home: Path) -> dict[str, str]:
    """What every dyno has before config vars: the built app's Python first on PATH."""
    return {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }


def build(project: Path, venv: Path) -> None:
    """The buildpack's part: .env is gitignored, so Heroku never sees it, and
    collectstatic runs with no secret and no database."""
    (project / ".env").unlink(missing_ok=True)
    env = {**dyno_environment(venv, project), "DJANGO_SETTINGS_MODULE": "config.settings.prod"}
    run(["python", "manage.py", "collectstatic", "--noinput"], cwd=project, env=env)


def release(project: Path, venv: Path, config: dict[str, str]) -> None:
    env = {**dyno_environment(venv, project), **config, "DYNO": "release.1"}
    run(["bash", "-c", procfile(project)["release"]], cwd=project, env=env)


def one_off(project: Path, venv: Path, config: dict[str, str], command: list[str]) -> str:
    """`heroku run COMMAND`: a one-off dyno with the app's config vars; its output."""
    env = {**dyno_environment(venv, project), **config, "DYNO": "run.1"}
    return run(command, cwd=project, env=env).stdout


def open_form(url: str, path: str, *, https: bool = True) -> tuple[dict[str, str], str]:
    """Load a page with a form as a browser does (on https behind the router, unless
    told): the headers its post will carry (the CSRF cookie, the Origin) and the
    form's CSRF token."""
    status, headers, page = request(url, path)
    assert status == 200, f"{path} answered {status}"
    cookie = found_in(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = found_in(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    origin = url.replace("http:", "https:") if https else url
    return {"Cookie": f"csrftoken={cookie}", "Origin": origin}, token


def log_in(
    url: str, login_page: str, username: str, password: str, *, https: bool = True
) -> dict[str, str]:
    """Log in through a Django login form as a browser does; the headers that carry
    the session (and the CSRF cookie) on later requests."""
    browser, token = open_form(url, login_page, https=https)
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    status, headers, _ = request(url, login_page, form, browser)
    assert status == 302, f"logging in answered {status}"
    session = found_in(r"sessionid=([^;]+)", headers["Set-Cookie"]).group(1)
    return {**browser, "Cookie": f"{browser['Cookie']}; sessionid={session}"}


def admin_path(project: Path) -> str:
    """Where the project's admin is, unless ADMIN_URL says otherwise."""
    answers = (project / "config" / "answers.py").read_text()
    return "/" + found_in(r'ADMIN_URL = "([^"]+)"', answers).group(1)


@dataclass
class Dyno:
    """One Procfile process started as Heroku starts it: bash runs the command,
    in a process group of its own, with DYNO set; its output goes to a log."""

    process: subprocess.Popen
    log: Path
    port: int
    stopped: bool = field(default=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def processes(self) -> list[int]:
        return live_processes_in_group(self.process.pid)

    def signal(self, number: int) -> None:
        """To every process of the dyno, as Heroku signals a dyno."""
        os.killpg(self.process.pid, number)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to what outlives Heroku's 30 s."""
        stop_dynos([self])


def stop_dynos(dynos: list[Dyno]) -> None:
    """Stop the dynos not yet stopped, side by side."""
    running = [dyno for dyno in dynos if not dyno.stopped]
    for dyno in running:
        dyno.stopped = True
    stop_process_groups([dyno.process for dyno in running])


def start_dyno(
    project: Path, venv: Path, config: dict[str, str], process_type: str, log: Path
) -> Dyno:
    env = {**dyno_environment(venv, project), **config, "DYNO": f"{process_type}.1"}
    command = procfile(project)[process_type]
    with log.open("w") as output:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"], cwd=project, env=env,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return Dyno(process, log, int(config.get("PORT", "0")))


def start_web(project: Path, venv: Path, config: dict[str, str], log: Path) -> Dyno:
    """The Procfile's web process, once it answers the router."""
    web = start_dyno(project, venv, config, "web", log)
    try:
        wait_for("the web process to answer", lambda: request(web.url, "/health/")[0] > 0, 60)
    except BaseException:
        web.stop()
        raise
    return web


@contextmanager
def running_formation(
    project: Path, venv: Path, config: dict[str, str], logs: Path
) -> Iterator[Dyno]:
    """Release the project, then run its web, worker and scheduler, one dyno each,
    as Heroku does after a deploy; the web dyno, once it answers. All are stopped
    as the block ends."""
    release(project, venv, config)
    dynos = [
        start_dyno(project, venv, config, kind, logs / f"{kind}.log")
        for kind in ("worker", "scheduler")
    ]
    try:
        web = start_web(project, venv, config, logs / "web.log")
        dynos.append(web)
        yield web
    finally:
        stop_dynos(dynos)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def request(
    url: str,
    path: str,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15,
) -> tuple[int, dict[str, str], bytes]:
    """One request as the router sends it (with its headers and a request id);
    redirects are returned, not followed. Status 0: the connection failed."""
    sent = {**ROUTER_HEADERS, "X-Request-ID": secrets.token_hex(8), **(headers or {})}
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(
            urllib.request.Request(url + path, data=body, headers=sent), timeout=timeout
        ) as response:
            return response.status, joined(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, joined(error.headers), error.read()
    except OSError:
        return 0, {}, b""


def joined(headers: Message) -> dict[str, str]:
    """The headers as a dict; a header sent several times (Set-Cookie) keeps every
    value, one per line."""
    found: dict[str, str] = {}
    for name, value in headers.items():
        found[name] = f"{found[name]}\n{value}" if name in found else value
    return found


def timed_request(url: str, path: str, timeout: float = 15) -> tuple[int, float]:
    """A request's status and how long its answer took, in seconds."""
    started = time.monotonic()
    status, _, _ = request(url, path, timeout=timeout)
    return status, time.monotonic() - started


def web_workers(web: Dyno) -> set[int]:
    """gunicorn's worker processes (bash exec'd gunicorn: the dyno's first process
    is gunicorn's master)."""
    return set(web.processes()) - {web.process.pid}


class Visitor:
    """A browser's part: it keeps the CSRF cookie and token the home page gave it,
    and presses "Ping the workers"."""

    def __init__(self, url: str) -> None:
        self.url = url
        status, headers, home = request(url, "/")
        assert status == 200, f"home page answered {status}"
        cookie = found_in(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
        self.token = found_in(rb'name="csrfmiddlewaretoken" value="([^"]+)"', home).group(1)
        self.headers = {"Cookie": f"csrftoken={cookie}", "Origin": url.replace("http:", "https:")}

    def ping(self, timeout: float = 30) -> tuple[int, int | None, float]:
        """Press the button: the answer's status, the new ping's id, and the seconds it took."""
        started = time.monotonic()
        status, headers, _ = request(
            self.url, "/pings/", {"csrfmiddlewaretoken": self.token.decode()}, self.headers, timeout
        )
        took = time.monotonic() - started
        found = re.search(r"\?ping=(\d+)$", headers.get("Location", ""))
        return status, int(found.group(1)) if found else None, took

    def answered_by(self, ping_id: int) -> str:
        """Who answered the ping, as the site reports it ("" while it waits)."""
        status, _, body = request(self.url, f"/pings/{ping_id}/")
        return json.loads(body)["answered_by"] if status == 200 else ""
