"""What /health/ reports: can this process reach its database, cache and broker,
and is the scheduler still scheduling?"""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from config.celery import app

from .models import PeriodicRun
from .tasks import HEARTBEAT_PERIOD

logger = logging.getLogger(__name__)

# The heartbeat may be this late before the scheduler is reported as down.
HEARTBEAT_GRACE = 3 * HEARTBEAT_PERIOD
BROKER_TIMEOUT_SECONDS = 3


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True, "vendor": connection.vendor}


def check_cache() -> dict:
    cache = caches["default"]
    key = f"health-{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    found = cache.get(key)
    cache.delete(key)
    return {"ok": found == "ok", "backend": type(cache).__name__}


def check_broker() -> dict:
    # A connection from Celery's pool: checking does not open a new one each time.
    with app.pool.acquire(block=True, timeout=BROKER_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        return {"ok": True, "transport": broker.transport_cls}


def check_scheduler() -> dict:
    last = PeriodicRun.objects.filter(job="heartbeat").first()
    if last is None:
        return {"ok": False, "last_heartbeat_seconds_ago": None}
    age = timezone.now() - last.ran_at
    return {
        "ok": age <= HEARTBEAT_GRACE,
        "last_heartbeat_seconds_ago": round(age.total_seconds(), 1),
        "last_heartbeat_by": last.ran_by,
    }


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "scheduler": check_scheduler,
}


def run_check(name: str, check: Callable[[], dict]) -> dict:
    try:
        return check()
    except Exception as error:  # any failure is the answer
        # The page is public: the details (hosts, user names) go to the log only.
        logger.warning("health check %s failed", name, exc_info=True)
        return {"ok": False, "error": type(error).__name__}


def report() -> dict:
    results = {name: run_check(name, check) for name, check in CHECKS.items()}
    return {"ok": all(result["ok"] for result in results.values()), **results}
