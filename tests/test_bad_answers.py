"""Every bad answer stops generation in the pre-generation hook, with a message that
names the field, the value and the rule, and leaves nothing on disk."""

import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import TEMPLATE_DIR

# (field, bad value, what the message must say)
BAD_ANSWERS = [
    ("project_name", "   ", "must not be empty"),
    ("project_slug", "My-Site", "must be a lowercase Python identifier"),
    ("project_slug", "2fast", "must be a lowercase Python identifier"),
    ("project_slug", "class", "is a Python keyword"),
    ("project_slug", "a" * 31, "is longer than 30 characters"),
    ("project_slug", "django", "would hide a module"),
    ("project_slug", "celery", "would hide a module"),
    ("project_slug", "gevent", "would hide a module"),
    ("project_slug", "test", "would hide a module"),
    ("project_slug", "site", "would hide a module"),
    ("project_slug", "core", "would hide a module"),
    ("author_email", "not-an-email", "must be an address like you@example.com"),
    ("author_email", "a@b", "must be an address like you@example.com"),
    ("domain_name", "https://example.com", "must be a bare domain like example.com: no scheme"),
    (
        "domain_name",
        "example.com/shop",
        "must be a bare domain like example.com: no scheme (https://) and no path",
    ),
    ("domain_name", "Example.COM", "must be a lowercase domain name"),
    ("domain_name", "localhost", "must be a lowercase domain name"),
    ("timezone", "Mars/Olympus_Mons", "is not an IANA time zone name"),
    ("python_version", "3.9", "must be one of: 3.11, 3.12, 3.13"),
    ("celery_broker", "kafka", "must be one of: redis, rabbitmq"),
    ("post_gen_checks", "sometimes", "must be one of: fast, full, none"),
]


def files_left(output_root: Path) -> list[Path]:
    return [path for path in output_root.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    BAD_ANSWERS,
    ids=[f"{field}={value.strip()[:20] or 'blank'}" for field, value, _ in BAD_ANSWERS],
)
def test_bad_answer_is_refused_with_a_clear_message(cookies, capfd, tmp_path, field, value, rule):
    result = cookies.bake(extra_context={field: value})

    assert result.exit_code != 0
    errors = capfd.readouterr().err
    assert f"ERROR: {field}: {value!r} {rule}" in errors
    assert "Nothing was generated" in errors
    assert "Traceback" not in errors
    assert files_left(tmp_path / "cookies") == []


def test_all_bad_answers_are_reported_at_once(cookies, capfd):
    result = cookies.bake(extra_context={"author_email": "nope", "celery_broker": "kafka"})

    assert result.exit_code != 0
    errors = capfd.readouterr().err
    assert "ERROR: author_email:" in errors
    assert "ERROR: celery_broker:" in errors


# A few of the above, through the command line a user types.
COMMAND_LINE_CASES = [
    answer for answer in BAD_ANSWERS if answer[:2] in {
        ("celery_broker", "kafka"), ("timezone", "Mars/Olympus_Mons"), ("author_email", "a@b"),
    }
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    COMMAND_LINE_CASES,
    ids=[f"{field}={value}" for field, value, _ in COMMAND_LINE_CASES],
)
def test_the_command_line_shows_the_message_and_no_traceback(tmp_path, field, value, rule):
    cookiecutter = Path(sys.executable).parent / "cookiecutter"

    result = subprocess.run(
        [str(cookiecutter), "--no-input", "--output-dir", str(tmp_path), str(TEMPLATE_DIR),
         f"{field}={value}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    shown = result.stdout + result.stderr
    assert result.returncode == 1
    assert f"ERROR: {field}: {value!r} {rule}" in shown
    assert "Nothing was generated" in shown
    assert "Traceback" not in shown, shown
    assert files_left(tmp_path) == []
