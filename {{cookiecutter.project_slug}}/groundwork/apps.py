from django.apps import AppConfig


class GroundworkConfig(AppConfig):
    name = "groundwork"

    def ready(self) -> None:
        from . import checks, logins  # noqa: F401 (register the checks and the login counter)
        from .pools import close_database_pools_at_exit

        close_database_pools_at_exit()
