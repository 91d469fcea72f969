"""gunicorn.conf.py follows Heroku's environment and stays inside its time limits."""

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG = PROJECT_DIR / "gunicorn.conf.py"
# Heroku: the router gives up on a request after 30 s, SIGKILL comes 30 s after
# SIGTERM, and the router keeps idle connections to the dyno for 90 s.
ROUTER_TIMEOUT = SHUTDOWN_WINDOW = 30
ROUTER_KEEPALIVE = 90


def load_config(monkeypatch, **environment: str) -> dict:
    for name in ("DYNO", "PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CONNECTIONS", "CODE_RELOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # The connection budget reads WEB_CONCURRENCY once, as it is first imported.
    monkeypatch.delitem(sys.modules, "groundwork.connections", raising=False)
    return runpy.run_path(str(CONFIG))


def test_binds_herokus_port_on_every_interface_of_a_dyno(monkeypatch):
    assert load_config(monkeypatch, PORT="31337", DYNO="web.1")["bind"] == ["[::]:31337"]


def test_binds_loopback_only_off_heroku(monkeypatch):
    assert load_config(monkeypatch, PORT="8000")["bind"] == ["127.0.0.1:8000"]


@pytest.mark.parametrize(("value", "reloads"), [("on", True), ("off", False), ("", False)])
def test_workers_reload_changed_code_only_when_code_reload_is_on(monkeypatch, value, reloads):
    assert load_config(monkeypatch, CODE_RELOAD=value)["reload"] is reloads


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("CODE_RELOAD", "maybe", "CODE_RELOAD='maybe' is not a boolean"),
        ("WEB_CONCURRENCY", "two", "WEB_CONCURRENCY='two' is not a whole number"),
        ("GUNICORN_WORKER_CONNECTIONS", "0", "GUNICORN_WORKER_CONNECTIONS='0' must be at least 1"),
    ],
)
def test_a_bad_value_names_its_variable_as_the_settings_do(monkeypatch, variable, value, said):
    with pytest.raises(ImproperlyConfigured, match=said):
        load_config(monkeypatch, **{variable: value})


def test_worker_count_follows_web_concurrency(monkeypatch):
    assert load_config(monkeypatch, WEB_CONCURRENCY="5")["workers"] == 5


def test_gevent_workers_with_bounded_connections(monkeypatch):
    config = load_config(monkeypatch, GUNICORN_WORKER_CONNECTIONS="7")

    assert config["worker_class"] == "gevent"
    assert config["worker_connections"] == 7


def test_timeouts_fit_herokus_limits(monkeypatch):
    config = load_config(monkeypatch)

    assert config["timeout"] < ROUTER_TIMEOUT
    assert config["graceful_timeout"] < SHUTDOWN_WINDOW
    assert config["keepalive"] > ROUTER_KEEPALIVE


def test_access_log_goes_to_stdout(monkeypatch):
    assert load_config(monkeypatch)["accesslog"] == "-"


@pytest.fixture
def served(unused_port, tmp_path):
    """The web command, as the Procfile runs it, on local settings."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "SECRET_KEY": "gunicorn-test-key",
        "PORT": str(unused_port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    server = subprocess.Popen(
        ["gunicorn", "--config", "gunicorn.conf.py", "config.wsgi"],
        cwd=PROJECT_DIR, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{unused_port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", unused_port), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        server.terminate()
        pytest.fail("gunicorn did not listen within 30 s")
    yield url
    # A quick shutdown (SIGINT): the graceful one (SIGTERM), which gevent's server
    # makes last a second, is tested with the real servers.
    server.send_signal(signal.SIGINT)
    server.wait(timeout=30)


def test_a_client_cannot_move_the_sites_urls_with_a_script_name_header(served):
    """gunicorn maps a SCRIPT_NAME header onto every URL the site makes, from
    trusted addresses only; no address is trusted."""

    def answer(path: str) -> tuple[int, str | None]:
        request = urllib.request.Request(served + path, headers={"SCRIPT_NAME": "/evil"})
        try:
            with urllib.request.build_opener(NoRedirects).open(request, timeout=30) as response:
                return response.status, None
        except urllib.error.HTTPError as error:
            return error.code, error.headers["Location"]

    admin = f"/{settings.ADMIN_URL}"  # the server's too: ADMIN_URL is unset for both
    assert answer(admin) == (302, f"{admin}login/?next={admin}")
    assert answer(f"/evil{admin}")[0] == 404, "the site answered under the client's prefix"


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
