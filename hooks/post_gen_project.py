"""After generation: prune what the answers do not need, write .env, check the output.

The fast checks use the standard library only and always run (unless the
post_gen_checks answer is "none"). The full level also installs the project into
a throwaway virtualenv and runs its linter, Django's checks and its tests. A
failed check exits non-zero, and cookiecutter then deletes the output.
"""

import itertools
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

# Cookiecutter renders this file with Jinja: the answers arrive as JSON, which
# escapes every quote, so the raw string below cannot be cut short by an answer.
ANSWERS: dict[str, str] = json.loads(r"""{{ cookiecutter | tojson }}""")

PROJECT = Path.cwd()
SLUG = ANSWERS["project_slug"]
SETTINGS = PROJECT / "config" / "settings"
BROKERS = ("redis", "rabbitmq")
PROCESS_TYPES = ("release", "web", "scheduler", "worker")
# Text cookiecutter should have replaced: a Jinja tag that mentions cookiecutter.
# Braces are written as \x7b so that Jinja, which renders this hook, skips them.
OPENING_TAG = "\x7b\x7b"
UNRENDERED = re.compile(r"\x7b[\x7b%][^\x7d]*\bcookiecutter\b")


# PRUNING
# ------------------------------------------------------------------------------
def keep_only_chosen_broker(chosen: str) -> None:
    """settings/broker_<chosen>.py becomes settings/broker.py; the others go."""
    for broker in BROKERS:
        module = SETTINGS / f"broker_{broker}.py"
        if broker == chosen:
            module.rename(SETTINGS / "broker.py")
        else:
            module.unlink()
    for test in (PROJECT / "tests").glob("test_broker_*.py"):
        if test.stem != f"test_broker_{chosen}":
            test.unlink()


def write_env_file() -> None:
    """.env = .env.example with a fresh SECRET_KEY; gitignored, readable by you only.
    A .env already there (cookiecutter --overwrite-if-exists) holds your settings
    and is kept as it is."""
    env_file = PROJECT / ".env"
    if env_file.exists():
        print(f"Kept your existing {env_file.name}.")
        return
    example = (PROJECT / ".env.example").read_text()
    key = secrets.token_urlsafe(50)
    env_file.touch(mode=0o600)
    env_file.chmod(0o600)  # before the key is in it, whatever the umask
    env_file.write_text(re.sub(r"(?m)^SECRET_KEY=.*$", f"SECRET_KEY={key}", example))


# FAST CHECKS: each returns a list of problems, empty when all is well
# ------------------------------------------------------------------------------
def project_files() -> list[Path]:
    return sorted(path for path in PROJECT.rglob("*") if path.is_file())


def find_unrendered_text() -> list[str]:
    found = []
    for path in project_files():
        if OPENING_TAG in str(path.relative_to(PROJECT)):
            found.append(f"{path.relative_to(PROJECT)}: unrendered file name")
            continue
        text = path.read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if UNRENDERED.search(line):
                found.append(f"{path.relative_to(PROJECT)}:{number}: unrendered {line.strip()!r}")
    return found


def find_python_syntax_errors() -> list[str]:
    found = []
    for path in PROJECT.rglob("*.py"):
        try:
            compile(path.read_text(), str(path), "exec")
        except SyntaxError as error:
            found.append(f"{path.relative_to(PROJECT)}:{error.lineno}: {error.msg}")
    return found


def find_unparsable_data_files() -> list[str]:
    parsers: dict[str, Callable[[str], object]] = {".json": json.loads, ".toml": tomllib.loads}
    found = []
    for path in project_files():
        parse = parsers.get(path.suffix)
        if parse is None:
            continue
        try:
            parse(path.read_text())
        except ValueError as error:
            found.append(f"{path.relative_to(PROJECT)}: {error}")
    return found


def read_procfile() -> dict[str, str]:
    entries = {}
    for line in (PROJECT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def paths_a_command_needs(command: str) -> list[str]:
    """The files a Procfile command loads: scripts, config files and modules."""
    words = shlex.split(command)
    needed = [word for word in words if word.endswith(".py")]
    for flag, value in itertools.pairwise(words):
        if flag in ("--app", "-A"):
            needed.append(f"{value.replace('.', '/')}/celery.py")
    if words and words[0] == "gunicorn":
        app_module = words[-1].partition(":")[0]
        needed.append(f"{app_module.replace('.', '/')}.py")
    return needed


def find_procfile_problems() -> list[str]:
    entries = read_procfile()
    found = [f"Procfile: no {name!r} process" for name in PROCESS_TYPES if name not in entries]
    found += [
        f"Procfile: unexpected {name!r} process" for name in entries if name not in PROCESS_TYPES
    ]
    for name, command in entries.items():
        for needed in paths_a_command_needs(command):
            if not (PROJECT / needed).is_file():
                found.append(f"Procfile: {name!r} needs {needed}, which does not exist")
    return found


FAST_CHECKS: tuple[Callable[[], list[str]], ...] = (
    find_unrendered_text,
    find_python_syntax_errors,
    find_unparsable_data_files,
    find_procfile_problems,
)


def run_fast_checks() -> list[str]:
    return [problem for check in FAST_CHECKS for problem in check()]


# FULL CHECKS: the project's own gates, in a virtualenv of its own
# ------------------------------------------------------------------------------
# Each gate, with the variables it needs on top of the virtualenv's PATH: Django's
# check reads the local settings and .env's fresh key; pytest picks its own settings.
FULL_CHECKS = (
    (("ruff", "check", "."), {}),
    (("ruff", "format", "--check", "."), {}),
    (
        ("python", "manage.py", "check", "--fail-level", "WARNING"),
        {"DJANGO_SETTINGS_MODULE": "config.settings.local", "SECRET_KEY": "checks-only"},
    ),
    (("pytest", "--quiet", "-p", "no:cacheprovider"), {}),
)


def run_quietly(command: list[str], env: dict[str, str] | None = None) -> str:
    """Run a command in the project; return its output if it failed, else ""."""
    result = subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, check=False
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def run_full_checks() -> list[str]:
    with tempfile.TemporaryDirectory(prefix=f"{SLUG}-checks-") as scratch:
        venv_bin = Path(scratch) / "bin"
        print("post_gen_checks=full: installing requirements-dev.txt into a throwaway virtualenv")
        failure = run_quietly([sys.executable, "-m", "venv", scratch]) or run_quietly(
            [str(venv_bin / "pip"), "install", "--quiet", "-r", "requirements-dev.txt"]
        )
        if failure:
            return [f"installing the requirements failed:\n{failure}"]
        # Only what the tools need: a DJANGO_SETTINGS_MODULE or DATABASE_URL in the
        # caller's shell would otherwise steer the project's checks and tests.
        base_env = {
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": os.environ.get("HOME", scratch),
            "LANG": "C.UTF-8",
        }
        found = []
        for command, variables in FULL_CHECKS:
            print(f"post_gen_checks=full: {' '.join(command)}")
            failure = run_quietly(list(command), {**base_env, **variables})
            if failure:
                found.append(f"`{' '.join(command)}` failed:\n{failure}")
        return found


def main() -> int:
    keep_only_chosen_broker(ANSWERS["celery_broker"])
    write_env_file()
    level = ANSWERS["post_gen_checks"]
    problems = [] if level == "none" else run_fast_checks()
    if level == "full" and not problems:
        problems = run_full_checks()
    for problem in problems:
        print(f"CHECK FAILED: {problem}", file=sys.stderr)
    if problems:
        print("The generated project failed its checks and was removed.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
