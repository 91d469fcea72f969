"""Only the scheduler that holds the lock sends periodic tasks; the lock dies with
its holder. (On your machine the lock is a file; in production a PostgreSQL
advisory lock, tested by the template on a real server.)"""

import datetime

import pytest

from config.celery import app
from groundwork import jobs, scheduler
from groundwork.scheduler import FileLock, LeaderScheduler


def test_a_file_lock_has_one_holder_at_a_time(tmp_path):
    first, second = FileLock(tmp_path / "lock"), FileLock(tmp_path / "lock")

    assert first.hold() is True
    assert second.hold() is False
    assert first.hold() is True, "the holder keeps it"
    first.release()
    assert second.hold() is True


@pytest.fixture
def two_schedulers(tmp_path, monkeypatch, settings):
    """Two schedulers contending for one lock file; what each sends is recorded."""
    settings.SCHEDULER_LOCK_RETRY = 0.5
    monkeypatch.setattr(scheduler, "scheduler_lock", lambda: FileLock(tmp_path / "lock"))
    sent: dict[int, list[str]] = {}

    def record(self, entry, *args, **kwargs):
        sent.setdefault(id(self), []).append(entry.name)

    monkeypatch.setattr(LeaderScheduler, "apply_async", record)
    first, second = (LeaderScheduler(app=app) for _ in range(2))
    for each in (first, second):  # every job overdue, as after a long wait
        for entry in each.schedule.values():
            entry.last_run_at = entry.default_now() - datetime.timedelta(days=2)
    yield first, second, sent
    for each in (first, second):
        each.close()


def test_only_the_holder_sends_and_the_other_retries_soon(two_schedulers):
    first, second, sent = two_schedulers

    # Enough ticks for the holder to send every overdue job and then wait for the
    # next: that wait too is cut to the lock's retry period, to check its hold.
    first_waits = [first.tick() for _ in range(len(first.schedule) + 2)]
    second_waits = [second.tick() for _ in range(3)]

    assert sent.get(id(first)), "the first to ask leads and sends what is due"
    assert id(second) not in sent, "the second sends nothing"
    assert all(wait <= 0.5 for wait in first_waits + second_waits)


def test_the_other_takes_over_when_the_holder_ends(two_schedulers):
    first, second, sent = two_schedulers
    first.tick()
    second.tick()

    first.close()  # as its process ends, the lock goes
    second.tick()

    assert sent.get(id(second)), "the second leads once the lock is free"


def test_a_scheduler_sends_a_heartbeat_as_soon_as_it_leads(two_schedulers):
    """So that /health/ is ok within seconds of a fresh start, not after a minute."""
    first, second, sent = two_schedulers
    for each in (first, second):  # nothing due yet, as at a start
        for entry in each.schedule.values():
            entry.last_run_at = entry.default_now()

    first.tick()
    second.tick()

    assert sent[id(first)][:1] == [jobs.HEARTBEAT]
    assert id(second) not in sent
