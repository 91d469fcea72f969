#!/usr/bin/env python
"""Django's command-line utility. Locally, run it as `honcho run python manage.py ...`
so that it reads .env, as the Procfile's processes do."""

import sys

# A build may run these before the app's config vars are set: no production check.
BUILD_COMMANDS = frozenset({"collectstatic"})


def main() -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    import config  # noqa: F401 (names the settings module when the environment does not)
    from groundwork.startup import refuse_to_start_if_misconfigured

    try:
        if sys.argv[1:2] and sys.argv[1] not in BUILD_COMMANDS:
            refuse_to_start_if_misconfigured()
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        # An unsafe or malformed environment: the message names the variable; a
        # traceback adds nothing.
        sys.exit(f"Configuration error: {error}")


if __name__ == "__main__":
    main()
