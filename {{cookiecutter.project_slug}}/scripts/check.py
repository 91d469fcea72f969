"""Every quality gate, in the order that fails fastest: what `make check`, GitHub
Actions and Heroku CI run. It needs only the Python whose environment holds
requirements-dev.txt (Heroku's run images have no `make`): each tool runs as
`python -m tool`, so no virtualenv need be activated.

    python scripts/check.py           # every gate
    python scripts/check.py lint      # some of them, by name
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
TEST_SETTINGS = {"DJANGO_SETTINGS_MODULE": "config.settings.test"}
# Production settings refuse to load without these: placeholders that reach no
# server, with a fresh key (check --deploy also judges the key's strength).
PRODUCTION_PLACEHOLDERS = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "www.example.com",
    "DATABASE_URL": "postgres://127.0.0.1/placeholder",
    "CELERY_BROKER_URL": "memory://",
    "EMAIL_URL": "smtps://placeholder@127.0.0.1",
}
GUNICORN_CHECK = ["gunicorn", "--check-config", "--config", "gunicorn.conf.py", "config.wsgi"]

# Each gate: its commands (run with this Python) and the variables they add.
GATES: dict[str, list[tuple[list[str], dict[str, str]]]] = {
    "lint": [(["ruff", "check", "."], {}), (["ruff", "format", "--check", "."], {})],
    "django-checks": [
        (["manage.py", "check", "--fail-level", "WARNING"], TEST_SETTINGS),
        (["manage.py", "makemigrations", "--check", "--dry-run"], TEST_SETTINGS),
        (GUNICORN_CHECK, TEST_SETTINGS),
        (["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_PLACEHOLDERS),
    ],
    "test": [(["pytest"], TEST_SETTINGS)],
}


def python_command(command: list[str]) -> list[str]:
    """`manage.py ...` as a script, any other tool as a module of this Python."""
    if command[0].endswith(".py"):
        return [sys.executable, *command]
    return [sys.executable, "-m", *command]


def run_gate(name: str) -> bool:
    for command, variables in GATES[name]:
        print(f"$ {' '.join(command)}", flush=True)
        environment = {**os.environ, **variables}
        if subprocess.run(python_command(command), cwd=PROJECT, env=environment).returncode:
            print(f"check: {name} failed", file=sys.stderr)
            return False
    return True


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in GATES]
    if unknown:
        print(f"check: no gate named {', '.join(unknown)}; gates: {', '.join(GATES)}")
        return 2
    return 0 if all(run_gate(name) for name in names or GATES) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
