"""/health/ tells a monitor which part is down, quickly and cheaply, and tells
the public nothing more; the details go to the log.

Checks run in threads of their own, with connections of their own, so these
tests commit their data (transaction=True) for the checks to see it.
"""

import datetime
import threading
import time

import pytest
from django.utils import timezone

from groundwork import health
from groundwork.models import PeriodicRun
from groundwork.tasks import record_heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def new_process(monkeypatch):
    """Each test starts as a fresh web process would: no report yet."""
    monkeypatch.setattr(health, "health", health.Health())


def test_all_green_after_a_recent_heartbeat_and_nothing_more_in_public(client):
    record_heartbeat.delay()

    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "database": {"ok": True},
        "cache": {"ok": True},
        "broker": {"ok": True},
        "scheduler": {"ok": True},
    }
    assert "no-cache" in response["Cache-Control"]


def test_no_heartbeat_yet_is_a_dead_scheduler_and_the_log_says_why(client, caplog):
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["scheduler"] == {"ok": False}
    assert "health check scheduler failed" in caplog.text
    assert "no heartbeat yet" in caplog.text


def test_a_stale_heartbeat_is_a_dead_scheduler(client, caplog):
    record_heartbeat.delay()
    PeriodicRun.objects.update(ran_at=timezone.now() - datetime.timedelta(minutes=10))

    assert client.get("/health/").json()["scheduler"] == {"ok": False}
    assert "last heartbeat 600 s ago" in caplog.text


def test_an_unreachable_cache_is_reported(client, settings):
    pytest.importorskip("pylibmc", reason="not installed: no compiler here")
    # Port 1 on loopback: nothing listens there, so every connection is refused.
    settings.CACHES = {
        "default": {"BACKEND": "groundwork.cache.SharedPyLibMCCache", "LOCATION": ["127.0.0.1:1"]}
    }

    assert client.get("/health/").json()["cache"] == {"ok": False}


def test_an_unreachable_broker_is_reported_without_its_address(client, monkeypatch, caplog):
    from config.celery import app

    unreachable = "amqp://guest:guest@127.0.0.1:1//"
    # Set first: monkeypatch keeps what it reads now to put back after the test,
    # and Celery's broker_url reads CELERY_BROKER_URL from the environment first.
    monkeypatch.setattr(app.conf, "broker_url", unreachable)
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)

    response = client.get("/health/")

    assert response.json()["broker"] == {"ok": False}
    assert b"127.0.0.1" not in response.content
    assert "health check broker failed" in caplog.text
    assert "Connection refused" in caplog.text


def test_a_hung_check_fails_by_the_deadline_and_is_not_started_twice(client, monkeypatch, caplog):
    release = threading.Event()
    started = []

    def hangs() -> str:
        started.append(1)
        release.wait(30)
        return "late"

    monkeypatch.setitem(health.CHECKS, "broker", hangs)
    monkeypatch.setattr(health, "DEADLINE_SECONDS", 1.0)
    try:
        first = client.get("/health/").json()
        asked = time.monotonic()
        second = client.get("/health/").json()
        second_took = time.monotonic() - asked
    finally:
        release.set()

    assert first["broker"] == second["broker"] == {"ok": False}
    assert first["database"] == {"ok": True}, "the other checks still answer"
    assert len(started) == 1
    assert second_took < 0.5, "the second run waited on the check it did not start"
    assert "health check broker failed: no answer within 1.0 s" in caplog.text
    assert "health check broker failed: still running since the last check" in caplog.text


def test_checks_run_once_per_interval_however_often_the_page_is_asked(
    client, settings, monkeypatch
):
    settings.HEALTH_CHECK_INTERVAL = 10
    clock = {"now": 1000.0}
    monkeypatch.setattr(health, "monotonic", lambda: clock["now"])
    runs = []
    monkeypatch.setitem(health.CHECKS, "database", lambda: runs.append(1) or "counted")

    for _ in range(5):
        client.get("/health/")
    clock["now"] += 9
    client.get("/health/")
    clock["now"] += 2
    client.get("/health/")

    assert len(runs) == 2
