"""What /health/ reports: can this process reach its database, cache and broker,
and does the scheduler still schedule?

The page is public, so answering it must stay cheap and quick whoever asks:
- each web process runs the checks at most once every HEALTH_CHECK_INTERVAL
  seconds, and answers from the last run in between (requests that arrive
  during a run wait for it and share its result);
- each check runs in a thread of its own (a greenlet under gevent), and one
  that has not answered within DEADLINE_SECONDS counts as failed, so the page
  answers by then whatever hangs; a check still hanging from the last run is
  not started again;
- the page says only "ok" or not for each part; what failed, and why, goes to
  the log.
"""

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic

from celery import current_app
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections
from django.utils import timezone

from . import jobs
from .models import PeriodicRun

logger = logging.getLogger(__name__)

DEADLINE_SECONDS = 3
# The heartbeat may be this many periods late before the scheduler counts as down.
HEARTBEAT_GRACE_PERIODS = 3


class CheckFailed(Exception):
    """A check's answer was wrong (as opposed to an error on the way)."""


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def check_cache() -> str:
    cache = caches["default"]
    key = f"health-{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    found = cache.get(key)
    cache.delete(key)
    if found != "ok":
        raise CheckFailed(f"{type(cache).__name__} did not keep a value")
    return type(cache).__name__


def check_broker() -> str:
    # A new connection each time: a pooled one that connected once would pass
    # without a word to a broker that stopped answering since. One attempt: a
    # refused connection is the answer (a retry would first sleep 2 s), and the
    # next run of the checks tries again.
    # The project's Celery app (config/celery.py), which Django's start loads.
    with current_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=0, timeout=DEADLINE_SECONDS)
        return broker.transport_cls


def check_scheduler() -> str:
    last = PeriodicRun.objects.filter(job=jobs.HEARTBEAT).first()
    if last is None:
        raise CheckFailed("no heartbeat yet")
    age = timezone.now() - last.ran_at
    if age > HEARTBEAT_GRACE_PERIODS * settings.HEARTBEAT_PERIOD:
        raise CheckFailed(f"last heartbeat {age.total_seconds():.0f} s ago, by {last.ran_by}")
    return f"heartbeat {age.total_seconds():.0f} s ago, by {last.ran_by}"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "scheduler": check_scheduler,
}


@dataclass
class Health:
    """The process's last report, and the checks still running."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    report: dict | None = None
    checked_at: float = float("-inf")
    running: dict[str, threading.Thread] = field(default_factory=dict)


health = Health()


def report() -> dict:
    """{"ok": bool, "database": {"ok": bool}, ...}, at most HEALTH_CHECK_INTERVAL s old."""
    with health.lock:
        age = monotonic() - health.checked_at
        if health.report is None or age >= settings.HEALTH_CHECK_INTERVAL:
            health.report = run_checks()
            health.checked_at = monotonic()
        return health.report


def run_checks() -> dict:
    results: dict[str, bool] = {}
    started: dict[str, threading.Thread] = {}
    for name, check in CHECKS.items():
        if name in health.running and health.running[name].is_alive():
            logger.warning("health check %s failed: still running since the last check", name)
            results[name] = False
            continue
        started[name] = threading.Thread(target=run_check, args=(name, check, results), daemon=True)
        started[name].start()
    health.running.update(started)
    # Only this run's checks are waited for: one still hanging from an earlier
    # run has its answer (not ok) already.
    deadline = monotonic() + DEADLINE_SECONDS
    for name, thread in started.items():
        thread.join(max(0.0, deadline - monotonic()))
        if name not in results:
            logger.warning("health check %s failed: no answer within %s s", name, DEADLINE_SECONDS)
            results[name] = False
    parts = {name: {"ok": results[name]} for name in CHECKS}
    return {"ok": all(results.values()), **parts}


def run_check(name: str, check: Callable[[], str], results: dict[str, bool]) -> None:
    try:
        detail = check()
    except Exception as error:  # any failure is the answer; the page is public, the log is not
        logger.warning("health check %s failed: %s: %s", name, type(error).__name__, error)
        results[name] = False
    else:
        logger.debug("health check %s ok: %s", name, detail)
        results[name] = True
    finally:
        # This thread's database connection goes back to the pool.
        connections.close_all()
