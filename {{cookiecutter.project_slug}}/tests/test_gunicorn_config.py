"""gunicorn.conf.py follows Heroku's environment and stays inside its time limits."""

import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
# Heroku: the router gives up on a request after 30 s, SIGKILL comes 30 s after
# SIGTERM, and the router keeps idle connections to the dyno for 90 s.
ROUTER_TIMEOUT = SHUTDOWN_WINDOW = 30
ROUTER_KEEPALIVE = 90


def load_config(monkeypatch, **environment: str) -> dict:
    for name in ("DYNO", "PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_binds_herokus_port_on_every_interface_of_a_dyno(monkeypatch):
    assert load_config(monkeypatch, PORT="31337", DYNO="web.1")["bind"] == ["0.0.0.0:31337"]


def test_binds_loopback_only_off_heroku(monkeypatch):
    assert load_config(monkeypatch, PORT="8000")["bind"] == ["127.0.0.1:8000"]


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


def test_access_log_goes_to_stdout_and_trusts_the_router(monkeypatch):
    config = load_config(monkeypatch)

    assert config["accesslog"] == "-"
    assert config["forwarded_allow_ips"] == "*"
