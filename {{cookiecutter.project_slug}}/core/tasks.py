"""Background jobs, run by the worker processes (see the Procfile).

Any task here may run twice, or late: a worker killed mid-task has its task
delivered again, a task retries what failed for a moment, and the sweep sends
again pings that look lost. So each one checks its work is still to do.
"""

import datetime
import logging
import os
import socket

import kombu.exceptions
from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from config import schedule

from .models import PeriodicRun, Ping

logger = logging.getLogger(__name__)

CLEANUP_PERIOD = datetime.timedelta(days=1)
# Periodic runs and pings older than this are deleted by the daily cleanup.
KEEP_HISTORY_FOR = datetime.timedelta(days=7)
# The most pings one sweep sends again, so that a long outage's backlog goes out
# over several sweeps rather than in one burst.
SWEEP_BATCH = 500
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


@shared_task(**RETRY_WHAT_PASSES)
def answer_ping(ping_id: int) -> None:
    """Answer a ping once: a second run finds it answered and changes nothing."""
    Ping.objects.filter(pk=ping_id, answered_at__isnull=True).update(
        answered_at=timezone.now(), answered_by=worker_name()
    )


def send_answer(ping_id: int) -> None:
    """Queue the ping's task, or, if the broker cannot take it now, leave it to
    the sweep: the ping is saved already, and the visitor need not wait."""
    try:
        answer_ping.apply_async((ping_id,), retry=False)
    except kombu.exceptions.OperationalError as error:
        logger.warning("ping %s not queued, the sweep will send it: %s", ping_id, error)


@shared_task(**RETRY_WHAT_PASSES)
def resend_unanswered_pings() -> int:
    """Send again the pings unanswered for a whole sweep period: their task was
    never queued (the broker was down) or was lost (it came back empty)."""
    now = timezone.now()
    waiting = Ping.objects.filter(
        answered_at__isnull=True,
        requested_at__lt=now - settings.SWEEP_PERIOD,
        requested_at__gte=now - KEEP_HISTORY_FOR,
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    # A message still queued when the next sweep runs is dropped unrun by the
    # worker: after a worker outage, the queue holds each ping's first message
    # and at most one from a sweep, not one more for every sweep that ran.
    for ping_id in waiting:
        answer_ping.apply_async((ping_id,), expires=settings.SWEEP_PERIOD.total_seconds())
    return len(waiting)


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
    return claim_slot(schedule.HEARTBEAT, settings.HEARTBEAT_PERIOD)


@shared_task(**RETRY_WHAT_PASSES)
def clean_up_daily() -> bool:
    """Delete what has expired, in batches; then record the day's run. A second
    run, or one cut short and run again, only deletes what is left."""
    now = timezone.now()
    delete_in_batches(Session.objects.filter(expire_date__lt=now))
    delete_in_batches(PeriodicRun.objects.filter(ran_at__lt=now - KEEP_HISTORY_FOR))
    delete_in_batches(Ping.objects.filter(requested_at__lt=now - KEEP_HISTORY_FOR))
    return claim_slot(schedule.DAILY_CLEANUP, CLEANUP_PERIOD)


def delete_in_batches(expired: QuerySet) -> int:
    deleted = 0
    while batch := list(expired.values_list("pk", flat=True)[:CLEANUP_BATCH]):
        deleted += expired.model.objects.filter(pk__in=batch).delete()[0]
    return deleted
