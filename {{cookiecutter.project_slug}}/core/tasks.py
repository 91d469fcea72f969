"""Background jobs, run by the worker processes (see the Procfile).

Any task here may run twice, or late: a worker killed mid-task has its task
delivered again, a task retries what failed for a moment, and the sweep sends
again pings that look lost. So each one checks its work is still to do.
"""

import datetime
import logging

import kombu.exceptions
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from groundwork.tasks import RETRY_WHAT_PASSES, delete_in_batches, worker_name

from .models import Ping

logger = logging.getLogger(__name__)

# Pings older than this are deleted by the daily cleanup.
KEEP_PINGS_FOR = datetime.timedelta(days=7)
# The most pings one sweep sends again, so that a long outage's backlog goes out
# over several sweeps rather than in one burst.
SWEEP_BATCH = 500


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
        requested_at__gte=now - KEEP_PINGS_FOR,
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    # A message still queued when the next sweep runs is dropped unrun by the
    # worker: after a worker outage, the queue holds each ping's first message
    # and at most one from a sweep, not one more for every sweep that ran.
    for ping_id in waiting:
        answer_ping.apply_async((ping_id,), expires=settings.SWEEP_PERIOD.total_seconds())
    return len(waiting)


@shared_task(**RETRY_WHAT_PASSES)
def forget_old_pings() -> int:
    """Delete pings older than KEEP_PINGS_FOR, in batches; safe to run twice."""
    return delete_in_batches(Ping.objects.filter(requested_at__lt=timezone.now() - KEEP_PINGS_FOR))
