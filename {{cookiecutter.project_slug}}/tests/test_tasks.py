"""The background jobs do their work once, however often they run, and no accepted
work is lost when the broker cannot take it."""

import datetime

import kombu.exceptions
import pytest
from celery.utils.time import get_exponential_backoff_interval
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import InterfaceError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Ping
from core.tasks import answer_ping, forget_old_pings, resend_unanswered_pings, send_answer
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


def test_answer_ping_records_the_worker_once():
    ping = Ping.objects.create()

    answer_ping.delay(ping.pk)
    ping.refresh_from_db()
    first = (ping.answered_at, ping.answered_by)
    answer_ping.delay(ping.pk)  # delivered again: a worker died, or the sweep sent it
    ping.refresh_from_db()

    assert " pid " in ping.answered_by
    assert (ping.answered_at, ping.answered_by) == first


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
    week_ago = timezone.now() - datetime.timedelta(days=8)
    old_ping = Ping.objects.create()
    Ping.objects.filter(pk=old_ping.pk).update(requested_at=week_ago)
    recent_ping = Ping.objects.create()
    record_heartbeat.delay()
    PeriodicRun.objects.update(ran_at=week_ago)

    assert clean_up_daily.delay().get() is True
    assert forget_old_pings.delay().get() == 1  # the demo's own cleanup

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert list(Ping.objects.all()) == [recent_ping]
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


def test_the_sweep_sends_again_only_pings_left_unanswered_a_whole_period(settings):
    settings.SWEEP_PERIOD = datetime.timedelta(minutes=1)
    lost, recent, answered = (Ping.objects.create() for _ in range(3))
    two_minutes_ago = timezone.now() - datetime.timedelta(minutes=2)
    Ping.objects.filter(pk__in=[lost.pk, answered.pk]).update(requested_at=two_minutes_ago)
    Ping.objects.filter(pk=answered.pk).update(answered_at=timezone.now(), answered_by="x")

    sent = resend_unanswered_pings.delay().get()

    assert sent == 1
    assert Ping.objects.get(pk=lost.pk).answered_at is not None
    assert Ping.objects.get(pk=recent.pk).answered_at is None  # its task may still be queued
    assert Ping.objects.get(pk=answered.pk).answered_by == "x"


def test_a_ping_the_broker_cannot_take_is_kept_for_the_sweep(monkeypatch, caplog):
    ping = Ping.objects.create()

    def broker_down(*args: object, **kwargs: object) -> None:
        raise kombu.exceptions.OperationalError("Error 111 connecting to broker")

    monkeypatch.setattr(answer_ping, "apply_async", broker_down)

    send_answer(ping.pk)  # does not raise: the visitor gets their page

    assert f"ping {ping.pk} not queued, the sweep will send it" in caplog.text
    assert Ping.objects.filter(pk=ping.pk, answered_at__isnull=True).exists()


@pytest.mark.parametrize("task", [answer_ping, resend_unanswered_pings, record_heartbeat])
def test_a_task_retries_a_database_that_is_away_for_the_whole_retry_window(task, settings):
    """Waits computed as Celery computes them: a database away for a Heroku
    Postgres maintenance or failover (minutes) never costs a task."""
    waits = [
        get_exponential_backoff_interval(
            factor=task.retry_backoff, retries=retry, maximum=task.retry_backoff_max,
            full_jitter=task.retry_jitter,
        )
        for retry in range(task.max_retries)
    ]  # fmt: skip

    assert set(task.autoretry_for) == {OperationalError, InterfaceError}
    assert sum(waits) >= settings.TASK_RETRY_FOR.total_seconds() >= 300
    assert max(waits) < settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)


def test_the_daily_cleanup_deletes_in_batches_and_leaves_what_is_recent(monkeypatch):
    monkeypatch.setattr(tasks, "CLEANUP_BATCH", 3)
    Ping.objects.bulk_create(Ping() for _ in range(8))
    Ping.objects.update(requested_at=timezone.now() - datetime.timedelta(days=8))
    recent = Ping.objects.create()

    with CaptureQueriesContext(connection) as queries:
        assert forget_old_pings.delay().get() == 8

    deletes = [
        query["sql"] for query in queries if query["sql"].startswith('DELETE FROM "core_ping"')
    ]
    assert len(deletes) == 3  # 3 + 3 + 2 rows
    assert list(Ping.objects.all()) == [recent]


def test_the_home_pages_query_has_an_index():
    """The newest pings, ordered by requested_at: at a million rows, 48 ms without
    an index against 0.6 ms with one."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Ping._meta.db_table)

    indexed = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert ["requested_at"] in indexed
