"""After generation: prune what the answers do not need, write .env, record the
answers, check the output.

The fast checks use the standard library only and always run (unless the
post_gen_checks answer is "none"). The full level also installs the project into
a throwaway virtualenv and runs its quality gates (`make check`). A failed check
exits non-zero, and cookiecutter then deletes the output.

Cookiecutter runs this file from the new project's folder. Every function takes
the project's path, so that the template's tests can import and call them.
"""

import itertools
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

PROCESS_TYPES = ("release", "web", "scheduler", "worker")
# Text cookiecutter should have replaced: a Jinja tag that mentions cookiecutter.
# Braces are written as \x7b so that Jinja, which renders this hook, skips them.
OPENING_TAG = "\x7b\x7b"
UNRENDERED = re.compile(r"\x7b[\x7b%][^\x7d]*\bcookiecutter\b")


def rendered_answers() -> dict:
    """Cookiecutter renders this file with Jinja: the answers arrive as JSON, which
    escapes every quote, so the raw string below cannot be cut short by an answer.
    Read only when the hook runs, so that tests can import this module as it stands."""
    return json.loads(r"""{{ cookiecutter | tojson }}""")


# PRUNING
# ------------------------------------------------------------------------------
def keep_only_chosen_broker(project: Path, brokers: dict[str, dict], chosen: str) -> None:
    """The chosen broker's settings module becomes groundwork/broker.py, and
    its pinned requirements the project's; the other brokers' modules, pins and
    tests go (cookiecutter.json's _brokers table)."""
    for name, broker in brokers.items():
        module = project / broker["settings_module"]
        if name == chosen:
            module.rename(module.with_name("broker.py"))
            for pinned in sorted((project / broker["pins"]).iterdir()):
                pinned.rename(project / pinned.name)
            continue
        module.unlink()
        for test in broker["tests"]:
            (project / test).unlink()
    shutil.rmtree(project / Path(brokers[chosen]["pins"]).parent)


def write_env_file(project: Path) -> None:
    """.env = .env.example with a fresh SECRET_KEY; gitignored, readable by you only.
    A .env already there (cookiecutter --overwrite-if-exists) holds your settings
    and is kept as it is."""
    env_file = project / ".env"
    if env_file.exists():
        print(f"Kept your existing {env_file.name}.")
        return
    example = (project / ".env.example").read_text()
    key = secrets.token_urlsafe(50)
    env_file.touch(mode=0o600)
    env_file.chmod(0o600)  # before the key is in it, whatever the umask
    env_file.write_text(re.sub(r"(?m)^SECRET_KEY=.*$", f"SECRET_KEY={key}", example))


# RECORDING THE ANSWERS, for later renders of this project
# ------------------------------------------------------------------------------
ANSWERS_FILE = ".template-answers.json"


def recorded_answers(answers: dict) -> dict:
    """The answers in the shape of a cookiecutter replay file. Entries whose names
    start with "_" stay out: cookiecutter's own hold paths on this machine, and the
    template's tables come from whichever release renders. `full` checks are
    recorded as `fast`: a cruft update renders the project twice, and need not
    build a virtualenv and run `make check` each time."""
    public = {name: value for name, value in answers.items() if not name.startswith("_")}
    if public.get("post_gen_checks") == "full":
        public["post_gen_checks"] = "fast"
    return {"cookiecutter": public}


def write_answers_file(project: Path, answers: dict) -> None:
    """The answers, for `cookiecutter --replay-file` and `cruft link` (README)."""
    text = json.dumps(recorded_answers(answers), indent=2) + "\n"
    (project / ANSWERS_FILE).write_text(text)


# FAST CHECKS: each returns a list of problems, empty when all is well
# ------------------------------------------------------------------------------
def project_files(project: Path) -> list[Path]:
    return sorted(path for path in project.rglob("*") if path.is_file())


def find_unrendered_text(project: Path) -> list[str]:
    found = []
    for path in project_files(project):
        name = path.relative_to(project)
        if OPENING_TAG in str(name):
            found.append(f"{name}: unrendered file name")
            continue
        text = path.read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if UNRENDERED.search(line):
                found.append(f"{name}:{number}: unrendered {line.strip()!r}")
    return found


def find_python_syntax_errors(project: Path) -> list[str]:
    found = []
    for path in project.rglob("*.py"):
        try:
            compile(path.read_text(), str(path), "exec")
        except SyntaxError as error:
            found.append(f"{path.relative_to(project)}:{error.lineno}: {error.msg}")
    return found


def find_unparsable_data_files(project: Path) -> list[str]:
    parsers: dict[str, Callable[[str], object]] = {".json": json.loads, ".toml": tomllib.loads}
    found = []
    for path in project_files(project):
        parse = parsers.get(path.suffix)
        if parse is None:
            continue
        try:
            parse(path.read_text())
        except ValueError as error:
            found.append(f"{path.relative_to(project)}: {error}")
    return found


def read_procfile(project: Path) -> dict[str, str]:
    """The Procfile's process types and their commands (the template's tests read
    it through this function too)."""
    entries = {}
    for line in (project / "Procfile").read_text().splitlines():
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


def find_procfile_problems(project: Path) -> list[str]:
    entries = read_procfile(project)
    found = [f"Procfile: no {name!r} process" for name in PROCESS_TYPES if name not in entries]
    found += [
        f"Procfile: unexpected {name!r} process" for name in entries if name not in PROCESS_TYPES
    ]
    for name, command in entries.items():
        for needed in paths_a_command_needs(command):
            if not (project / needed).is_file():
                found.append(f"Procfile: {name!r} needs {needed}, which does not exist")
    return found


FAST_CHECKS: tuple[Callable[[Path], list[str]], ...] = (
    find_unrendered_text,
    find_python_syntax_errors,
    find_unparsable_data_files,
    find_procfile_problems,
)


def run_fast_checks(project: Path) -> list[str]:
    return [problem for check in FAST_CHECKS for problem in check(project)]


# FULL CHECKS: the project's own quality gates, in a virtualenv of its own
# ------------------------------------------------------------------------------
def run_quietly(project: Path, command: list[str], env: dict[str, str] | None = None) -> str:
    """Run a command in the project; return its output if it failed, else ""."""
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr


def install_requirements(project: Path, venv: Path) -> str:
    """Make a virtualenv in `venv` with requirements-dev.txt; return what failed, or ""."""
    venv_bin = venv / "bin"
    # Every package is pinned (tests/test_pins.py): pip need not resolve (--no-deps).
    # The virtualenv lives for one `make check`, which imports a fraction of what is
    # installed: compiling all of it to bytecode first (pip's default) made the
    # install a fifth slower, and `make check` no faster (benchmarks/throwaway_install.py).
    install = [str(venv_bin / "pip"), "install", "--quiet", "--no-deps", "--no-compile"]
    failed = run_quietly(project, [sys.executable, "-m", "venv", str(venv)])
    if failed:
        return failed
    # All of requirements-dev.txt, or, where pip would have to compile pylibmc and
    # cannot, all but pylibmc: then it says what this machine lacks, on stderr.
    preflight = subprocess.run(
        [str(venv_bin / "python"), "scripts/preflight.py", "requirements-dev.txt"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    sys.stderr.write(preflight.stderr)
    if preflight.returncode:
        return preflight.stdout + preflight.stderr
    return run_quietly(project, [*install, "-r", preflight.stdout.strip()])


def run_make_check(project: Path, venv: Path) -> list[str]:
    """The project's quality gates, with the tools of `venv`."""
    # Only what the tools need: a DJANGO_SETTINGS_MODULE or DATABASE_URL in the
    # caller's shell would otherwise steer the project's checks and tests.
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": os.environ.get("HOME", str(venv)),
        "LANG": "C.UTF-8",
    }
    print("post_gen_checks=full: make check")
    failure = run_quietly(project, ["make", "check"], env)
    return [f"`make check` failed:\n{failure}"] if failure else []


def run_full_checks(project: Path) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="post-gen-checks-") as scratch:
        print("post_gen_checks=full: installing requirements-dev.txt into a throwaway virtualenv")
        failure = install_requirements(project, Path(scratch))
        if failure:
            return [f"installing the requirements failed:\n{failure}"]
        return run_make_check(project, Path(scratch))


def main() -> int:
    answers = rendered_answers()
    project = Path.cwd()
    keep_only_chosen_broker(project, answers["_brokers"], answers["celery_broker"])
    write_env_file(project)
    write_answers_file(project, answers)
    level = answers["post_gen_checks"]
    problems = [] if level == "none" else run_fast_checks(project)
    if level == "full" and not problems:
        problems = run_full_checks(project)
    for problem in problems:
        print(f"CHECK FAILED: {problem}", file=sys.stderr)
    if problems:
        print("The generated project failed its checks and was removed.", file=sys.stderr)
        return 1
    print(f"Generated {project.name}/. Next, to run it on this machine:")
    print(f"  cd {shlex.quote(project.name)}\n  make install\n  make run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
