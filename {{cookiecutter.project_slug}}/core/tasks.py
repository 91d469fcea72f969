"""Background jobs, run by the worker and scheduler processes (see the Procfile)."""

import datetime
import os
import socket

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import PeriodicRun, Ping

HEARTBEAT_PERIOD = datetime.timedelta(minutes=1)
CLEANUP_PERIOD = datetime.timedelta(days=1)
# Periodic runs and pings older than this are deleted by the daily cleanup.
KEEP_HISTORY_FOR = datetime.timedelta(days=7)


def worker_name() -> str:
    """Which process ran the current task: its host (on Heroku, the dyno) and process id."""
    return f"{socket.gethostname()} pid {os.getpid()}"


@shared_task
def answer_ping(ping_id: int) -> None:
    Ping.objects.filter(pk=ping_id).update(answered_at=timezone.now(), answered_by=worker_name())


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


@shared_task
def record_heartbeat() -> bool:
    """Proves that the scheduler schedules and a worker works (shown by /health/)."""
    return claim_slot("heartbeat", HEARTBEAT_PERIOD)


@shared_task
@transaction.atomic  # the claim and the work commit together, or neither does
def clean_up_daily() -> bool:
    if not claim_slot("daily-cleanup", CLEANUP_PERIOD):
        return False
    now = timezone.now()
    Session.objects.filter(expire_date__lt=now).delete()
    PeriodicRun.objects.filter(ran_at__lt=now - KEEP_HISTORY_FOR).delete()
    Ping.objects.filter(requested_at__lt=now - KEEP_HISTORY_FOR).delete()
    return True
