from django.apps import AppConfig


class GroundworkConfig(AppConfig):
    name = "groundwork"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the checks)
        from .pools import close_database_pools_at_exit

        close_database_pools_at_exit()
