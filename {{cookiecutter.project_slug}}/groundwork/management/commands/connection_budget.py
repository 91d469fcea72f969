"""`python manage.py connection_budget --web N --worker M`: does a formation of N web
and M worker dynos fit the database plan's connections, and if not, what pool size
would (groundwork/connections.py does the sum; the dynos' variables count). Run it
where those variables are set: `heroku run python manage.py connection_budget ...`
before `heroku ps:scale`."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from groundwork import connections


class Command(BaseCommand):
    help = "Whether a formation fits the database's connections, and what would."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--web", type=int, default=1, help="web dynos (default 1)")
        parser.add_argument("--worker", type=int, default=1, help="worker dynos (default 1)")

    def handle(self, *args: Any, web: int, worker: int, **options: Any) -> None:
        if web < 0 or worker < 0:
            raise CommandError("--web and --worker count dynos: 0 or more.")
        needed = connections.connections_needed(web, worker)
        usable = connections.usable_connections()
        self.stdout.write(
            f"web        {web} dyno(s) x WEB_CONCURRENCY {connections.WEB_PROCESSES_PER_DYNO}"
            f" x DATABASE_POOL_SIZE {connections.POOL_SIZE}\n"
            f"worker     {worker} dyno(s), one connection per Celery thread\n"
            "scheduler  1, and 1 for the release phase or a heroku run\n"
            f"total      {needed} of {usable} (DATABASE_CONNECTION_LIMIT "
            f"{connections.PLAN_LIMIT}, less {connections.RESERVED_FOR_SUPERUSERS} for superusers)"
        )
        if needed <= usable:
            self.stdout.write("It fits.")
            return
        pool = connections.largest_pool_that_fits(web, worker)
        if pool:
            raise CommandError(
                f"It does not fit: set DATABASE_POOL_SIZE={pool} "
                f"({connections.connections_needed(web, worker, pool)} of {usable}), "
                "or move to a plan with more connections."
            )
        least = connections.connections_needed(web, worker, 1) + connections.RESERVED_FOR_SUPERUSERS
        raise CommandError(
            "It does not fit, even with DATABASE_POOL_SIZE=1: it needs a plan allowing at "
            f"least {least} connections (then set DATABASE_CONNECTION_LIMIT to it)."
        )
