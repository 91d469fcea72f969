"""The periodic jobs: their names, the task each runs, and when. The settings
build Celery beat's schedule from this; the jobs (core/tasks.py) and /health/
name themselves with the same constants."""

import datetime
from typing import Any

from celery.schedules import crontab

HEARTBEAT = "heartbeat"
RESEND_UNANSWERED = "resend-unanswered"
DAILY_CLEANUP = "daily-cleanup"


DAY = datetime.timedelta(days=1)


def beat_schedule(heartbeat: datetime.timedelta, sweep: datetime.timedelta) -> dict[str, Any]:
    return {
        HEARTBEAT: periodic("core.tasks.record_heartbeat", heartbeat, heartbeat),
        RESEND_UNANSWERED: periodic("core.tasks.resend_unanswered_pings", sweep, sweep),
        # At a time of day, not every 24 h: the scheduler starts counting an
        # interval anew at every start, and dynos restart at least daily, so a
        # daily interval would never come due.
        DAILY_CLEANUP: periodic("core.tasks.clean_up_daily", crontab(hour=3, minute=0), DAY),
    }


def periodic(task: str, schedule: Any, period: datetime.timedelta) -> dict[str, Any]:
    """An entry whose message expires when the next one is due: while no worker
    runs, the queue holds one live message per job, not one per period missed,
    and a worker that comes back runs each job once."""
    return {"task": task, "schedule": schedule, "options": {"expires": period.total_seconds()}}
