from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The demo: the home page, its pings and their jobs."""

    name = "core"
