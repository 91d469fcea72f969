"""Reject bad answers before cookiecutter writes anything that matters.

Each validator takes one answer and returns "" when it is fine, or a sentence
saying what is wrong with it and what is allowed. All problems are reported at
once, then the hook exits non-zero and cookiecutter deletes the output folder.
"""

import json
import re
import shlex
import sys
import zoneinfo
from collections.abc import Callable

# The slug names the project's folder and its distribution (pyproject.toml): no
# Python module carries it, so any PEP 508 name in lowercase will do.
SLUG_PATTERN = re.compile(r"[a-z0-9]([a-z0-9_-]*[a-z0-9])?")
MAX_SLUG_LENGTH = 100  # a folder name; file systems allow 255 bytes
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
DOMAIN_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_PATTERN = re.compile("(" + DOMAIN_LABEL + r"\.)+[a-z]{2,63}")
# A path below the site's root, as ADMIN_URL takes it (groundwork/environment.py).
ADMIN_URL_PATTERN = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/")


def rendered_answers() -> tuple[dict, dict]:
    """The answers, and cookiecutter.json's options (lists for choices, from
    local_extensions.TemplateOptions, which cookiecutter, its replay files and
    cruft all load). Cookiecutter renders this file with Jinja: the values arrive
    as JSON, which escapes every quote, so the raw strings below cannot be cut
    short by an answer. Read only when the hook runs, so that tests can import
    this module as it stands."""
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    options = json.loads(r"""{{ template_options | tojson }}""")
    return answers, options


def check_project_name(name: str) -> str:
    return "" if name.strip() else "must not be empty."


def check_project_slug(slug: str) -> str:
    if not SLUG_PATTERN.fullmatch(slug):
        return (
            "must be lowercase letters, digits, hyphens and underscores, starting "
            "and ending with a letter or digit (e.g. my_site)."
        )
    if len(slug) > MAX_SLUG_LENGTH:
        return f"is longer than {MAX_SLUG_LENGTH} characters; pick a shorter name."
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


def check_admin_url(path: str) -> str:
    if not ADMIN_URL_PATTERN.fullmatch(path):
        return (
            'must be a path like staff/ or back-office/admin/: letters, digits, "-", "_"'
            ' and ".", no leading slash, one at the end.'
        )
    if path == "admin/":
        return "is where bots try passwords first; pick another (e.g. staff/)."
    return ""


def one_of(allowed: list[str]) -> Callable[[str], str]:
    def check(value: str) -> str:
        return "" if value in allowed else f"must be one of: {', '.join(allowed)}."

    return check


FREE_TEXT_VALIDATORS: dict[str, Callable[[str], str]] = {
    "project_name": check_project_name,
    "project_slug": check_project_slug,
    "author_email": check_author_email,
    "domain_name": check_domain_name,
    "timezone": check_timezone,
    "admin_url": check_admin_url,
}


def validators(options: dict) -> dict[str, Callable[[str], str]]:
    """The free-text checks, and one for each choice variable of cookiecutter.json.
    (On the command line and under cruft, cookiecutter refuses a bad choice itself
    before any hook runs; a replay file skips that check and brings one here.)"""
    choices = {
        name: one_of([str(choice) for choice in default])
        for name, default in options.items()
        if isinstance(default, list) and not name.startswith("_")
    }
    return {**FREE_TEXT_VALIDATORS, **choices}


def problems(answers: dict, options: dict) -> list[str]:
    found = []
    for field, validate in validators(options).items():
        value = str(answers.get(field, ""))
        message = validate(value)
        if message:
            found.append(f"{field}: {value!r} {message}")
    return found


def command_keeping_good_answers(answers: dict, options: dict, refused: set[str]) -> str:
    """The cookiecutter command that asks again with every accepted answer as the
    prompt's default (Enter keeps it), and the refused ones at the template's."""
    kept = [
        f"{field}={answers[field]}"
        for field in options
        if not field.startswith("_") and field in answers and field not in refused
    ]
    return shlex.join(["cookiecutter", str(answers.get("_template", ".")), *kept])


def main() -> int:
    answers, options = rendered_answers()
    found = problems(answers, options)
    for problem in found:
        print(f"ERROR: {problem}", file=sys.stderr)
    if found:
        refused = {problem.partition(":")[0] for problem in found}
        print(
            "Nothing was generated. To answer again, keeping the answers that were "
            f"fine as the defaults:\n  {command_keeping_good_answers(answers, options, refused)}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
