"""The platform's background jobs and the retry policy every task may use.

Any task may run twice, or late: a worker killed mid-task has its task delivered
again, and a task retries what failed for a moment. So each job checks that its
work is still to do (claim_slot), and tasks that change data do it idempotently.
"""

import datetime
import os
import socket

from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import jobs
from .models import PeriodicRun

CLEANUP_PERIOD = datetime.timedelta(days=1)
# Periodic runs older than this are deleted by the daily cleanup.
KEEP_HISTORY_FOR = datetime.timedelta(days=7)
# The cleanup deletes this many rows per statement, each committed on its own, so
# that no statement outlasts the statement timeout or locks a table for long.
CLEANUP_BATCH = 1000

# Failures that pass: the database restarting, failing over, or out of pooled
# connections. A task retries them after 1, 2, 4 ... s, then every
# TASK_RETRY_BACKOFF_MAX (60 s), for at least TASK_RETRY_FOR (10 minutes) in all:
# longer than a Heroku Postgres maintenance or failover, and each wait far inside
# the broker's visibility timeout (a task a worker holds longer than that is
# delivered again to another). No jitter: a random wait could add up to less than
# the budget, and tasks that fail together started apart, so they retry apart.
# The broker being away never reaches here: send_answer leaves the ping to the
# next sweep, and a retry would need the broker anyway.


def retries_to_cover(window: datetime.timedelta, longest_wait: float) -> int:
    """How many retries, waiting 1, 2, 4 ... s (at most `longest_wait`), last `window`."""
    retries, waited = 0, 0.0
    while waited < window.total_seconds():
        waited += min(longest_wait, 2**retries)
        retries += 1
    return retries


RETRY_WHAT_PASSES = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": settings.TASK_RETRY_BACKOFF_MAX,
    "retry_jitter": False,
    "max_retries": retries_to_cover(settings.TASK_RETRY_FOR, settings.TASK_RETRY_BACKOFF_MAX),
}


def worker_name() -> str:
    """Which process ran the current task: its host (on Heroku, the dyno) and process id."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def claim_slot(job: str, period: datetime.timedelta) -> bool:
    """Record that `job` runs in the current period; False if it already ran there."""
    seconds = period.total_seconds()
    start = timezone.now().timestamp() // seconds * seconds
    slot = datetime.datetime.fromtimestamp(start, tz=datetime.UTC)
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(job=job, slot=slot, ran_by=worker_name())
    except IntegrityError:
        return False
    return True


@shared_task(**RETRY_WHAT_PASSES)
def record_heartbeat() -> bool:
    """Proves that the scheduler schedules and a worker works (shown by /health/)."""
    return claim_slot(jobs.HEARTBEAT, settings.HEARTBEAT_PERIOD)


@shared_task(**RETRY_WHAT_PASSES)
def clean_up_daily() -> bool:
    """Delete expired sessions and old runs, in batches; then record the day's
    run. A second run, or one cut short and run again, only deletes what is left."""
    now = timezone.now()
    delete_in_batches(Session.objects.filter(expire_date__lt=now))
    delete_in_batches(PeriodicRun.objects.filter(ran_at__lt=now - KEEP_HISTORY_FOR))
    return claim_slot(jobs.DAILY_CLEANUP, CLEANUP_PERIOD)


def delete_in_batches(expired: QuerySet) -> int:
    deleted = 0
    while batch := list(expired.values_list("pk", flat=True)[:CLEANUP_BATCH]):
        deleted += expired.model.objects.filter(pk__in=batch).delete()[0]
    return deleted
