"""/health/ tells an operator which dependency is down, and whether the scheduler lives."""

import datetime

import pytest
from django.utils import timezone

from core.models import PeriodicRun
from core.tasks import record_heartbeat

pytestmark = pytest.mark.django_db


def test_all_green_after_a_recent_heartbeat(client):
    record_heartbeat.delay()

    response = client.get("/health/")

    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True
    assert all(report[part]["ok"] for part in ("database", "cache", "broker", "scheduler"))
    assert report["scheduler"]["last_heartbeat_seconds_ago"] < 5
    assert "no-cache" in response["Cache-Control"]


def test_no_heartbeat_yet_is_reported_as_a_dead_scheduler(client):
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["scheduler"] == {"ok": False, "last_heartbeat_seconds_ago": None}


def test_a_stale_heartbeat_says_how_old_it_is(client):
    record_heartbeat.delay()
    PeriodicRun.objects.update(ran_at=timezone.now() - datetime.timedelta(minutes=10))

    report = client.get("/health/").json()

    assert report["scheduler"]["ok"] is False
    assert 595 < report["scheduler"]["last_heartbeat_seconds_ago"] < 610


# Port 1 on loopback: nothing listens there, so every connection is refused at once.
UNREACHABLE_MEMCACHED = {
    "default": {"BACKEND": "core.cache.SharedPyLibMCCache", "LOCATION": ["127.0.0.1:1"]}
}


def test_unreachable_cache_is_a_miss_and_reported(client, settings):
    settings.CACHES = UNREACHABLE_MEMCACHED

    report = client.get("/health/").json()

    assert report["cache"]["ok"] is False
    # The forgiving cache missed instead of raising: no error reached the check.
    assert "error" not in report["cache"]


def test_unreachable_broker_is_reported_without_its_address(client, monkeypatch, caplog):
    from config.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "amqp://guest:guest@127.0.0.1:1//")
    monkeypatch.setattr(app, "_pool", None)  # Celery's connection pool, rebuilt for it

    response = client.get("/health/")

    assert response.json()["broker"] == {"ok": False, "error": "OperationalError"}
    assert b"127.0.0.1" not in response.content
    assert "health check broker failed" in caplog.text
    assert "Connection refused" in caplog.text
