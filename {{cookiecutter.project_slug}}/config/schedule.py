"""The periodic jobs: their names, the task each runs, and when. The settings
build Celery beat's schedule from this; the jobs (core/tasks.py) and /health/
name themselves with the same constants."""

import datetime
from typing import Any

from celery.schedules import crontab

HEARTBEAT = "heartbeat"
RESEND_UNANSWERED = "resend-unanswered"
DAILY_CLEANUP = "daily-cleanup"


def beat_schedule(heartbeat: datetime.timedelta, sweep: datetime.timedelta) -> dict[str, Any]:
    return {
        HEARTBEAT: {"task": "core.tasks.record_heartbeat", "schedule": heartbeat},
        RESEND_UNANSWERED: {"task": "core.tasks.resend_unanswered_pings", "schedule": sweep},
        # At a time of day, not every 24 h: the scheduler starts counting an
        # interval anew at every start, and dynos restart at least daily, so a
        # daily interval would never come due.
        DAILY_CLEANUP: {"task": "core.tasks.clean_up_daily", "schedule": crontab(hour=3, minute=0)},
    }
