"""The background jobs do their work, and a second scheduler cannot make them run twice."""

import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.models import PeriodicRun, Ping
from core.tasks import answer_ping, clean_up_daily, record_heartbeat

pytestmark = pytest.mark.django_db


def test_answer_ping_records_the_worker():
    ping = Ping.objects.create()

    answer_ping.delay(ping.pk)

    ping.refresh_from_db()
    assert ping.answered_at is not None
    assert " pid " in ping.answered_by


def test_heartbeat_runs_once_per_minute_whoever_sends_it(monkeypatch):
    # Both calls in the same minute, whatever the clock says when the test runs.
    moment = timezone.now().replace(second=30)
    monkeypatch.setattr(timezone, "now", lambda: moment)

    first = record_heartbeat.delay().get()
    second = record_heartbeat.delay().get()  # a second scheduler, same minute

    assert (first, second) == (True, False)
    assert PeriodicRun.objects.filter(job="heartbeat").count() == 1


def test_daily_cleanup_removes_expired_sessions_and_old_history():
    expired = SessionStore()
    expired.set_expiry(-1)
    expired.create()
    live = SessionStore()
    live.create()
    week_ago = timezone.now() - datetime.timedelta(days=8)
    old_ping = Ping.objects.create()
    Ping.objects.filter(pk=old_ping.pk).update(requested_at=week_ago)
    recent_ping = Ping.objects.create()
    record_heartbeat.delay()
    PeriodicRun.objects.update(ran_at=week_ago)

    assert clean_up_daily.delay().get() is True

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(Ping.objects.all()) == [recent_ping]
    assert list(PeriodicRun.objects.values_list("job", flat=True)) == ["daily-cleanup"]
    assert clean_up_daily.delay().get() is False  # already ran today


def test_daily_cleanup_comes_due_within_a_day_of_a_scheduler_start(settings):
    """Beat forgets past runs on every dyno restart and counts a job's last run as
    the moment it starts: a job due a full day later would never run."""
    schedule = settings.CELERY_BEAT_SCHEDULE["daily-cleanup"]["schedule"]

    started = timezone.now()

    assert schedule.remaining_estimate(started) < datetime.timedelta(days=1)
