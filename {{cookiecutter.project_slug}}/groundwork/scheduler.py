"""Exactly one scheduler sends the periodic tasks, however many are running.

A second `scheduler` process happens: a deploy overlaps the old dyno and the new,
or someone scales it to 2. Each runs this beat scheduler, which sends nothing
until it holds a lock that dies with its holder:

- with PostgreSQL, a session advisory lock on a connection of its own: the
  server lets it go the moment that connection ends, SIGKILL included; a dyno
  that vanishes without closing it is noticed by the server's TCP keepalives,
  set here to about a minute (the OS default is two hours);
- otherwise (SQLite, on your machine), a lock on a file, which the kernel lets
  go when the process ends.

The others ask for the lock every SCHEDULER_LOCK_RETRY seconds, so one of them
takes over within that long of the holder's end. The holder checks its hold as
often, and stops sending the moment it finds the lock gone. Periodic jobs still
claim their time slot (groundwork/tasks.py): a second line of defence.
"""

import contextlib
import fcntl
import logging
import os
import zlib
from pathlib import Path
from typing import Any, Protocol

from celery.beat import Scheduler
from django.conf import settings
from django.db import connections

from . import jobs

logger = logging.getLogger(__name__)

# The advisory lock's key: any 64-bit number no other code in the database uses.
LOCK_KEY = zlib.crc32(b"celery beat leadership")
# The server's side of the lock's connection: probe after 30 s of silence, then
# every 10 s, and drop it (and the lock) after 3 unanswered probes.
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
}


class Lock(Protocol):
    def hold(self) -> bool:
        """True while this process holds the lock: takes it if it is free."""

    def release(self) -> None: ...


class PostgresAdvisoryLock:
    """pg_try_advisory_lock on a connection no request or task ever uses."""

    def __init__(self, alias: str = "default") -> None:
        self._alias = alias
        self._connection: Any = None

    def _connect(self) -> Any:
        import psycopg

        params = connections[self._alias].get_connection_params()
        connection = psycopg.connect(**params, autocommit=True)
        for name, value in SERVER_KEEPALIVES.items():
            connection.execute("SELECT set_config(%s, %s, false)", [name, value])
        return connection

    def hold(self) -> bool:
        try:
            if self._connection is None:
                self._connection = self._connect()
                held = self._connection.execute(
                    "SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]
                ).fetchone()[0]
                if not held:
                    self.release()
                return held
            # Still connected means still holding: the lock lives as long as
            # the session, and a broken session raises here.
            self._connection.execute("SELECT 1")
            return True
        except Exception as error:  # the database is away: hold nothing
            logger.warning("scheduler lock: %s", error)
            self.release()
            return False

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self._connection.close()
            self._connection = None


class FileLock:
    """flock on a file: the kernel releases it when the process ends."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: Any = None

    def hold(self) -> bool:
        if self._file is not None:
            return True
        handle = self._path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.close()
            if isinstance(error, BlockingIOError):  # another process holds it
                return False
            raise
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file lets go of the lock
            self._file = None


def scheduler_lock() -> Lock:
    if connections["default"].vendor == "postgresql":
        return PostgresAdvisoryLock()
    return FileLock(Path(settings.BASE_DIR) / ".scheduler.lock")


class LeaderScheduler(Scheduler):
    """Celery beat's scheduler, sending only while it holds the scheduler lock.

    It keeps its record of past runs in memory: a dyno's disk is wiped at every
    restart anyway, and two schedulers on one machine share no file.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock = scheduler_lock()
        self.retry_seconds = settings.SCHEDULER_LOCK_RETRY
        self.leading = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        holding = self.lock.hold()
        if holding != self.leading:
            self.leading = holding
            logger.info(
                "scheduler pid %s %s", os.getpid(), "leads: sending" if holding else "waits"
            )
            if holding:
                self.send_heartbeat_now()
        if not holding:
            return self.retry_seconds
        return min(super().tick(*args, **kwargs), self.retry_seconds)

    def send_heartbeat_now(self) -> None:
        """An interval job first comes due one period after the scheduler starts:
        without this, /health/ would say "no heartbeat" for the first minute of a
        fresh project, and for a minute after every takeover."""
        heartbeat = self.schedule.get(jobs.HEARTBEAT)
        if heartbeat is not None:
            self.apply_async(heartbeat)

    def close(self) -> None:
        self.lock.release()
        super().close()
