"""Every bad answer stops generation with a message that names the field, the value
and the rule, and leaves nothing on disk.

The rules are checked by calling the pre-generation hook's functions directly;
a few whole generations, through cookiecutter's API and its command line, show
that the hook is wired in and what a user sees."""

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from .paths import TEMPLATE_DIR, tool
from .template import OPTIONS, pre_gen

# (field, bad value, what the message must say)
BAD_ANSWERS = [
    ("project_name", "   ", "must not be empty"),
    ("project_slug", "My-Site", "must be lowercase letters, digits, hyphens and underscores"),
    ("project_slug", "my site", "must be lowercase letters, digits, hyphens and underscores"),
    ("project_slug", "_site", "must be lowercase letters, digits, hyphens and underscores"),
    ("project_slug", "site-", "must be lowercase letters, digits, hyphens and underscores"),
    ("project_slug", "a" * 101, "is longer than 100 characters"),
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
    ("admin_url", "/staff/", "must be a path like staff/"),
    ("admin_url", "staff", "must be a path like staff/"),
    ("admin_url", "st aff/", "must be a path like staff/"),
    ("admin_url", "admin/", "is where bots try passwords first"),
    ("python_version", "3.9", "must be one of: 3.13, 3.12, 3.11"),
    ("celery_broker", "kafka", "must be one of: redis, rabbitmq"),
    ("post_gen_checks", "sometimes", "must be one of: fast, full, none"),
]
DEFAULT_ANSWERS = {name: value[0] if isinstance(value, list) else value
                   for name, value in OPTIONS.items() if not name.startswith("_")}  # fmt: skip
DEFAULT_ANSWERS["project_slug"] = "my_site"
DEFAULT_ANSWERS["admin_url"] = "admin-drawnatrandom/"


def files_left(output_root: Path) -> list[Path]:
    return [path for path in output_root.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    BAD_ANSWERS,
    ids=[f"{field}={value.strip()[:20] or 'blank'}" for field, value, _ in BAD_ANSWERS],
)
def test_the_hook_refuses_a_bad_answer_with_a_clear_message(field, value, rule):
    found = pre_gen.problems({**DEFAULT_ANSWERS, field: value}, OPTIONS)

    assert len(found) == 1, found
    assert found[0].startswith(f"{field}: {value!r} {rule}")


def test_the_hook_accepts_the_default_answers():
    assert pre_gen.problems(DEFAULT_ANSWERS, OPTIONS) == []


def test_all_bad_answers_are_reported_at_once(cookies, capfd, tmp_path):
    result = cookies.bake(extra_context={"author_email": "nope", "timezone": "Nowhere"})

    assert result.exit_code != 0
    errors = capfd.readouterr().err
    assert "ERROR: author_email: 'nope'" in errors
    assert "ERROR: timezone: 'Nowhere'" in errors
    assert "Nothing was generated" in errors
    assert files_left(tmp_path / "cookies") == []


# One case for each of two fields: the first bad answer listed for each.
COMMAND_LINE_CASES = [
    next(answer for answer in BAD_ANSWERS if answer[0] == field)
    for field in ("timezone", "author_email")
]


def run_cookiecutter(tmp_path: Path, *answers: str, replay_file: Path | None = None) -> str:
    """The command line a user types, with --no-input or a replay file; its whole
    output. It writes into tmp_path/"out", and its HOME is a fresh folder: no
    ~/.cookiecutterrc takes part, and its replay file lands there."""
    cookiecutter = tool("cookiecutter")
    answers_from = ["--replay-file", str(replay_file)] if replay_file else ["--no-input"]
    env = {name: value for name, value in os.environ.items() if name != "COOKIECUTTER_CONFIG"}
    result = subprocess.run(
        [cookiecutter, *answers_from, "--output-dir", str(tmp_path / "out"),
         str(TEMPLATE_DIR), *answers],
        env={**env, "HOME": str(tmp_path / "home")},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    COMMAND_LINE_CASES,
    ids=lambda value: str(value)[:20],
)
def test_the_command_line_shows_the_message_and_no_traceback(tmp_path, field, value, rule):
    shown = run_cookiecutter(tmp_path, f"{field}={value}")

    assert f"ERROR: {field}: {value!r} {rule}" in shown
    assert "Nothing was generated" in shown
    assert "Traceback" not in shown, shown
    assert files_left(tmp_path / "out") == []


def test_a_bad_choice_on_the_command_line_names_the_field_and_the_choices(tmp_path):
    """Cookiecutter itself refuses a value that is not one of a choice variable's,
    before any hook runs, and prints its own traceback above the message."""
    shown = run_cookiecutter(tmp_path, "celery_broker=kafka")

    assert "kafka provided for choice variable celery_broker" in shown
    assert "['redis', 'rabbitmq']" in shown
    assert files_left(tmp_path / "out") == []


def test_a_bad_choice_in_a_replay_file_is_refused_by_the_hook(tmp_path):
    """A replay file skips cookiecutter's own check of the choices: the hook is
    what stops it, with its message and no traceback."""
    replay_file = tmp_path / "answers.json"
    bad = {**DEFAULT_ANSWERS, "celery_broker": "kafka"}
    replay_file.write_text(json.dumps({"cookiecutter": bad}))

    shown = run_cookiecutter(tmp_path, replay_file=replay_file)

    assert "ERROR: celery_broker: 'kafka' must be one of: redis, rabbitmq." in shown
    assert "Nothing was generated" in shown
    assert "Traceback" not in shown, shown
    assert files_left(tmp_path / "out") == []


def test_a_refusal_prints_the_command_that_keeps_the_good_answers(tmp_path):
    """Run as printed (with --no-input here, where a user would press Enter at each
    prompt), it generates with every answer that was fine, and the refused one at
    its default."""
    shown = run_cookiecutter(
        tmp_path, "project_name=Ada's Shop", "timezone=Mars/Olympus", "celery_broker=rabbitmq"
    )
    command = shlex.split(shown.split("keeping the answers that were fine as the defaults:")[1])
    command = command[: command.index("ERROR:")] if "ERROR:" in command else command

    assert command[:2] == ["cookiecutter", str(TEMPLATE_DIR)]
    assert "project_name=Ada's Shop" in command and "celery_broker=rabbitmq" in command
    assert not [answer for answer in command if answer.startswith("timezone=")]
    subprocess.run(
        [tool("cookiecutter"), "--no-input", "--output-dir", str(tmp_path / "again"),
         *command[1:]],
        env={**os.environ, "HOME": str(tmp_path / "home")},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    answers = json.loads((tmp_path / "again" / "ada_s_shop" / ".template-answers.json").read_text())
    assert answers["cookiecutter"]["celery_broker"] == "rabbitmq"
    assert answers["cookiecutter"]["timezone"] == "UTC"
