"""The demo's pings: each answered once however often its task runs, none lost
when the broker cannot take it, and old ones deleted in batches."""

import datetime

import kombu.exceptions
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from test_jobs import retry_waits

from core.models import Ping
from core.tasks import answer_ping, forget_old_pings, resend_unanswered_pings, send_answer
from groundwork import tasks

pytestmark = pytest.mark.django_db


def test_answer_ping_records_the_worker_once():
    ping = Ping.objects.create()

    answer_ping.delay(ping.pk)
    ping.refresh_from_db()
    first = (ping.answered_at, ping.answered_by)
    answer_ping.delay(ping.pk)  # delivered again: a worker died, or the sweep sent it
    ping.refresh_from_db()

    assert " pid " in ping.answered_by
    assert (ping.answered_at, ping.answered_by) == first


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


@pytest.mark.parametrize("task", [answer_ping, resend_unanswered_pings, forget_old_pings])
def test_the_demos_tasks_retry_for_the_whole_retry_window(task, settings):
    assert sum(retry_waits(task)) >= settings.TASK_RETRY_FOR.total_seconds()


def test_old_pings_are_deleted_in_batches_and_recent_ones_kept(monkeypatch):
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
