"""Reject bad answers before cookiecutter writes anything that matters.

Each validator takes one answer and returns "" when it is fine, or a sentence
saying what is wrong with it and what is allowed. All problems are reported at
once, then the hook exits non-zero and cookiecutter deletes the output folder.
"""

import json
import keyword
import re
import sys
import zoneinfo
from collections.abc import Callable

# Cookiecutter renders this file with Jinja: the answers arrive as JSON, which
# escapes every quote, so the raw string below cannot be cut short by an answer.
ANSWERS: dict[str, str] = json.loads(r"""{{ cookiecutter | tojson }}""")

SUPPORTED_PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
CELERY_BROKERS = ("redis", "rabbitmq")
CHECK_LEVELS = ("fast", "full", "none")

# Top-level names the generated project imports, or creates beside its package:
# a package with one of these names would hide the real module.
TAKEN_MODULE_NAMES = frozenset(sys.stdlib_module_names) | {
    "amqp", "asgiref", "billiard", "celery", "click", "core", "dj_database_url",
    "dj_static", "django", "gevent", "greenlet", "gunicorn", "honcho", "kombu", "manage",
    "psycopg", "psycopg_binary", "pylibmc", "pytest", "pytest_django", "redis", "ruff",
    "sqlparse", "static", "test", "tests", "vine",
}  # fmt: skip

SLUG_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
# Long enough for any sensible name, short enough that every generated line that
# holds the slug stays within the project's 100-character line length.
MAX_SLUG_LENGTH = 30
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
DOMAIN_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_PATTERN = re.compile("(" + DOMAIN_LABEL + r"\.)+[a-z]{2,63}")


def check_project_name(name: str) -> str:
    return "" if name.strip() else "must not be empty."


def check_project_slug(slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug):
        return (
            "must be a lowercase Python identifier: a letter, then lowercase "
            "letters, digits or underscores (e.g. my_site)."
        )
    if len(slug) > MAX_SLUG_LENGTH:
        return f"is longer than {MAX_SLUG_LENGTH} characters; pick a shorter name."
    if keyword.iskeyword(slug):
        return "is a Python keyword; pick another name."
    if slug in TAKEN_MODULE_NAMES:
        return "would hide a module of that name that the project imports; pick another name."
    return ""


def check_author_email(email: str) -> str:
    return "" if EMAIL_PATTERN.fullmatch(email) else "must be an address like you@example.com."


def check_domain_name(domain: str) -> str:
    if "://" in domain or "/" in domain:
        return "must be a bare domain like example.com: no scheme (https://) and no path."
    if not DOMAIN_PATTERN.fullmatch(domain):
        return "must be a lowercase domain name like example.com or www.example.org."
    return ""


def check_timezone(name: str) -> str:
    if name == "UTC" or name in zoneinfo.available_timezones():
        return ""
    return "is not an IANA time zone name; use one like UTC, Europe/Paris or America/New_York."


def one_of(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        return "" if value in allowed else f"must be one of: {', '.join(allowed)}."

    return check


VALIDATORS: dict[str, Callable[[str], str]] = {
    "project_name": check_project_name,
    "project_slug": check_project_slug,
    "author_email": check_author_email,
    "domain_name": check_domain_name,
    "timezone": check_timezone,
    "python_version": one_of(SUPPORTED_PYTHON_VERSIONS),
    "celery_broker": one_of(CELERY_BROKERS),
    "post_gen_checks": one_of(CHECK_LEVELS),
}


def problems(answers: dict[str, str]) -> list[str]:
    found = []
    for field, validate in VALIDATORS.items():
        value = str(answers.get(field, ""))
        message = validate(value)
        if message:
            found.append(f"{field}: {value!r} {message}")
    return found


def main() -> int:
    found = problems(ANSWERS)
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    if found:
        print("Nothing was generated. Run cookiecutter again with other answers.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
