"""What Heroku's release phase runs (see the Procfile): the migrations, patiently.

A migration that changes a table (ALTER TABLE) waits for every transaction that
has touched it, and while it waits every new query on the table queues behind it:
one long transaction made every page answer 500. Here the migration waits at most
MIGRATION_LOCK_TIMEOUT for its locks, then gives them up, rolls back, lets the
site's queries through for as long again, and tries again, at most
MIGRATION_ATTEMPTS times. If it never gets its locks, the release fails and
Heroku keeps the running version, which the old schema still suits.
"""

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection
from psycopg.errors import LockNotAvailable


class Command(BaseCommand):
    help = "Apply the migrations, giving way to the site's queries while a lock is held."

    def handle(self, *args: Any, **options: Any) -> None:
        attempts, wait = settings.MIGRATION_ATTEMPTS, settings.MIGRATION_LOCK_TIMEOUT
        for attempt in range(1, attempts + 1):
            try:
                migrate(verbosity=options["verbosity"])
                return
            except OperationalError as error:
                if not isinstance(error.__cause__, LockNotAvailable):
                    raise
                self.stderr.write(
                    f"Attempt {attempt} of {attempts}: a table is in use ({error}); "
                    f"trying again in {wait} s."
                )
            if attempt < attempts:
                time.sleep(wait)
        raise CommandError(
            f"Gave up after {attempts} attempts: a transaction kept a table the migrations "
            "change. The running version stays; find it in pg_stat_activity, then release again."
        )


def migrate(verbosity: int) -> None:
    if connection.vendor == "postgresql":
        lock_ms = round(1000 * settings.MIGRATION_LOCK_TIMEOUT)
        with connection.cursor() as cursor:
            # For this session: no statement timeout (a migration may take long
            # to rewrite a table), and a bounded wait for each lock.
            cursor.execute(
                "SELECT set_config('statement_timeout', '0', false), "
                "set_config('lock_timeout', %s, false)",
                [f"{lock_ms}ms"],
            )
    call_command("migrate", interactive=False, verbosity=verbosity)
