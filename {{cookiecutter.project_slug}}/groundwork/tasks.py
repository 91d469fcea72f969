"""The platform's background jobs and the retry policy every task may use.

Any task may run twice, or late: a worker killed mid-task has its task delivered
again, and a task retries what failed for a moment. So each job checks that its
work is still to do (claim_slot), and tasks that change data do it idempotently.
"""

import datetime
import logging
import os
import smtplib
import socket
from typing import Any

import kombu.exceptions
from celery import Task, shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import jobs, mail
from .models import OutgoingMail, PeriodicRun

logger = logging.getLogger(__name__)

CLEANUP_PERIOD = datetime.timedelta(days=1)
# Periodic runs older than this are deleted by the daily cleanup.
KEEP_HISTORY_FOR = datetime.timedelta(days=7)
# The cleanup deletes this many rows per statement, each committed on its own, so
# that no statement outlasts the statement timeout or locks a table for long.
CLEANUP_BATCH = 1000
# The most messages one mail sweep queues again: a long outage's backlog goes out
# over several sweeps rather than in one burst.
SWEEP_BATCH = 500

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


# Mail also retries a mail service that is down, hung (EMAIL_TIMEOUT), busy or
# misconfigured: every SMTP and network error is an OSError. A message the service
# refuses for good (refused_for_good) is not retried.
RETRY_MAIL_SERVICE = {
    **RETRY_WHAT_PASSES,
    "autoretry_for": (OperationalError, InterfaceError, OSError),
}


def refused_for_good(error: smtplib.SMTPException) -> bool:
    """The service refused this message itself (5xx), not the site's login or a
    moment's trouble (4xx): sending it again would change nothing."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    refusals = (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
    return isinstance(error, refusals) and error.smtp_code >= 500


def send_soon(task: Task, *args: Any) -> None:
    """Queue the task, or, if the broker cannot take it now, leave it to a sweep:
    its work is saved already, and the caller need not wait."""
    try:
        task.apply_async(args, retry=False)
    except kombu.exceptions.OperationalError as error:
        logger.warning("%s%s not queued, the sweep will send it: %s", task.name, args, error)


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
    """Delete expired sessions, old runs and old sent mail, in batches; then record
    the day's run. A second run, or one cut short and run again, only deletes what
    is left."""
    now = timezone.now()
    delete_in_batches(Session.objects.filter(expire_date__lt=now))
    delete_in_batches(PeriodicRun.objects.filter(ran_at__lt=now - KEEP_HISTORY_FOR))
    delete_in_batches(OutgoingMail.objects.filter(sent_at__lt=now - KEEP_HISTORY_FOR))
    return claim_slot(jobs.DAILY_CLEANUP, CLEANUP_PERIOD)


def delete_in_batches(expired: QuerySet) -> int:
    deleted = 0
    while batch := list(expired.values_list("pk", flat=True)[:CLEANUP_BATCH]):
        deleted += expired.model.objects.filter(pk__in=batch).delete()[0]
    return deleted


@shared_task(**RETRY_MAIL_SERVICE)
def send_mail_from_outbox(mail_id: int) -> bool:
    """Send one message of the outbox (groundwork/mail.py); safe to run twice."""
    try:
        return mail.send_waiting(mail_id)
    except smtplib.SMTPException as error:
        if not refused_for_good(error):
            raise
        OutgoingMail.objects.filter(pk=mail_id).update(refused=str(error)[:1000])
        logger.error("mail %s refused for good by the mail service: %s", mail_id, error)
        return False


@shared_task(**RETRY_WHAT_PASSES)
def send_waiting_mail() -> int:
    """Queue again the mail waiting for a whole sweep period: its task was never
    queued (the broker was down), lost, or out of retries (a long outage of the
    mail service). Each message expires when the next sweep is due, as the
    demo's pings do, so that a backlog holds at most one copy per sweep."""
    waiting = OutgoingMail.objects.filter(
        sent_at__isnull=True, refused="", created_at__lt=timezone.now() - settings.SWEEP_PERIOD
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    for mail_id in waiting:
        send_mail_from_outbox.apply_async((mail_id,), expires=settings.SWEEP_PERIOD.total_seconds())
    return len(waiting)
