"""The periodic jobs: their names, the task each runs, and when. The settings
build Celery beat's schedule from this; the platform's jobs and /health/ name
themselves with the same constants (groundwork/jobs.py)."""

import datetime
from typing import Any

from celery.schedules import crontab

from groundwork.jobs import DAILY_CLEANUP, HEARTBEAT, SEND_WAITING_MAIL

# The demo's jobs (core/tasks.py): `make remove-demo` deletes the lines marked demo.
RESEND_UNANSWERED = "resend-unanswered"  # demo
FORGET_OLD_PINGS = "forget-old-pings"  # demo

DAY = datetime.timedelta(days=1)
# At a time of day, not every 24 h: the scheduler starts counting an interval
# anew at every start, and dynos restart at least daily, so a daily interval
# would never come due.
DAILY_AT_3 = crontab(hour=3, minute=0)


def beat_schedule(heartbeat: datetime.timedelta, sweep: datetime.timedelta) -> dict[str, Any]:
    return {
        HEARTBEAT: periodic("groundwork.tasks.record_heartbeat", heartbeat, heartbeat),
        DAILY_CLEANUP: periodic("groundwork.tasks.clean_up_daily", DAILY_AT_3, DAY),
        SEND_WAITING_MAIL: periodic("groundwork.tasks.send_waiting_mail", sweep, sweep),
        RESEND_UNANSWERED: periodic("core.tasks.resend_unanswered_pings", sweep, sweep),  # demo
        FORGET_OLD_PINGS: periodic("core.tasks.forget_old_pings", DAILY_AT_3, DAY),  # demo
    }


def periodic(task: str, schedule: Any, period: datetime.timedelta) -> dict[str, Any]:
    """An entry whose message expires when the next one is due: while no worker
    runs, the queue holds one live message per job, not one per period missed,
    and a worker that comes back runs each job once."""
    return {"task": task, "schedule": schedule, "options": {"expires": period.total_seconds()}}
