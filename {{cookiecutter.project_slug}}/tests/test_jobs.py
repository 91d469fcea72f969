"""The platform's jobs do their work once however often they run, retry a
database that is away, and clean up in batches."""

import datetime

import pytest
from celery.utils.time import get_exponential_backoff_interval
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import InterfaceError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from groundwork import jobs, tasks
from groundwork.models import PeriodicRun
from groundwork.tasks import clean_up_daily, record_heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """Set the time the jobs see."""

    def set_to(moment: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def test_the_heartbeat_runs_once_per_period_whoever_sends_it_and_when(clock, settings):
    settings.HEARTBEAT_PERIOD = datetime.timedelta(minutes=1)
    minute = datetime.datetime(2030, 5, 1, 12, 0, tzinfo=datetime.UTC)

    clock(minute + datetime.timedelta(seconds=10))
    first = record_heartbeat.delay().get()
    clock(minute + datetime.timedelta(seconds=50))  # a second scheduler, same minute
    second = record_heartbeat.delay().get()
    clock(minute + datetime.timedelta(seconds=65))  # the next minute
    third = record_heartbeat.delay().get()

    assert (first, second, third) == (True, False, True)
    slots = PeriodicRun.objects.filter(job=jobs.HEARTBEAT).values_list("slot", flat=True)
    assert sorted(slots) == [minute, minute + datetime.timedelta(minutes=1)]


def test_daily_cleanup_removes_expired_sessions_and_old_history():
    expired = SessionStore()
    expired.set_expiry(-1)
    expired.create()
    live = SessionStore()
    live.create()
    record_heartbeat.delay()
    PeriodicRun.objects.update(ran_at=timezone.now() - datetime.timedelta(days=8))

    assert clean_up_daily.delay().get() is True

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(PeriodicRun.objects.values_list("job", flat=True)) == [jobs.DAILY_CLEANUP]
    assert clean_up_daily.delay().get() is False  # already ran today


def test_a_daily_cleanup_that_fails_does_not_keep_its_claim(monkeypatch):
    """The claim comes after the work: if the work fails, the day's run is still to do."""

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away mid-cleanup")

    with monkeypatch.context() as broken:
        broken.setattr(tasks.Session.objects, "filter", fail)
        with pytest.raises(RuntimeError):
            clean_up_daily.delay()

    assert not PeriodicRun.objects.filter(job=jobs.DAILY_CLEANUP).exists()
    assert clean_up_daily.delay().get() is True


def test_daily_cleanup_comes_due_within_a_day_of_a_scheduler_start(settings):
    """The scheduler counts a job's last run from its own start, and dynos restart
    at least daily: a job due a full day after the start would never run."""
    due_in = settings.CELERY_BEAT_SCHEDULE[jobs.DAILY_CLEANUP]["schedule"]

    assert due_in.remaining_estimate(timezone.now()) < datetime.timedelta(days=1)


def retry_waits(task) -> list[float]:
    """A task's waits between retries, computed as Celery computes them."""
    return [
        get_exponential_backoff_interval(
            factor=task.retry_backoff, retries=retry, maximum=task.retry_backoff_max,
            full_jitter=task.retry_jitter,
        )
        for retry in range(task.max_retries)
    ]  # fmt: skip


@pytest.mark.parametrize("task", [record_heartbeat, clean_up_daily])
def test_a_task_retries_a_database_that_is_away_for_the_whole_retry_window(task, settings):
    """A database away for a Heroku Postgres maintenance or failover (minutes)
    never costs a task (RETRY_WHAT_PASSES, which any task may use)."""
    waits = retry_waits(task)

    assert set(task.autoretry_for) == {OperationalError, InterfaceError}
    assert sum(waits) >= settings.TASK_RETRY_FOR.total_seconds() >= 300
    assert max(waits) < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)


def test_the_daily_cleanup_deletes_in_batches_and_leaves_what_is_recent(monkeypatch):
    monkeypatch.setattr(tasks, "CLEANUP_BATCH", 3)
    eight_days_ago = timezone.now() - datetime.timedelta(days=8)
    PeriodicRun.objects.bulk_create(
        PeriodicRun(job="old", slot=eight_days_ago + datetime.timedelta(minutes=n), ran_by="x")
        for n in range(8)
    )
    PeriodicRun.objects.update(ran_at=eight_days_ago)
    recent = PeriodicRun.objects.create(job="recent", slot=timezone.now(), ran_by="x")

    with CaptureQueriesContext(connection) as queries:
        assert clean_up_daily.delay().get() is True

    deletes = [
        query["sql"]
        for query in queries
        if query["sql"].startswith('DELETE FROM "core_periodicrun"')  # its table's name
    ]
    assert len(deletes) == 3  # 3 + 3 + 2 rows
    assert set(PeriodicRun.objects.exclude(job=jobs.DAILY_CLEANUP)) == {recent}
