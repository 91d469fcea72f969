"""A project pulls a later release of the template with `cruft update`, whether it
was made by `cruft create` or by plain cookiecutter and then linked to the template
through its recorded answers: the change arrives, with the project's answers in
it, next to the project's own edits, with no conflict, and `.env` is left alone.

The template is a git repository of its own in a temporary folder, made from the
working tree (so uncommitted changes are what is tested), and each release is a
commit in it, as cruft sees releases."""

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import copy_template, run
from .paths import tool
from .template import post_gen

CRUFT = tool("cruft")
COOKIECUTTER = tool("cookiecutter")
# A later release's change, with an answer in it, and what it becomes in the project.
TEMPLATE_README = Path("{{cookiecutter.project_slug}}") / "README.md"
LATER_CHANGE = "\nRelease notes for {{ cookiecutter.project_name }}: one more line.\n"
ARRIVED = "\nRelease notes for My Site: one more line.\n"
OUR_TITLE = "# My Site, as we run it"


def commit_everything(folder: Path, message: str, env: dict[str, str]) -> None:
    run(["git", "add", "--all"], cwd=folder, env=env)
    run(["git", "commit", "--quiet", "--message", message], cwd=folder, env=env)


def start_repository(folder: Path, message: str, env: dict[str, str]) -> None:
    run(["git", "init", "--quiet", "--initial-branch", "main"], cwd=folder, env=env)
    commit_everything(folder, message, env)


def create_with_cruft(template: Path, projects: Path, env: dict[str, str]) -> Path:
    run([CRUFT, "create", "--no-input", "--output-dir", str(projects), str(template)],
        cwd=projects, env=env)  # fmt: skip
    return projects / "my_site"


def create_with_cookiecutter_then_link(template: Path, projects: Path, env: dict[str, str]) -> Path:
    """What the README tells a plain-cookiecutter user: link the project to the
    release it came from, with the answers it recorded."""
    run([COOKIECUTTER, "--no-input", "--output-dir", str(projects), str(template)],
        cwd=projects, env=env)  # fmt: skip
    project = projects / "my_site"
    answers = json.loads((project / post_gen.ANSWERS_FILE).read_text())["cookiecutter"]
    release = run(["git", "rev-parse", "HEAD"], cwd=template, env=env).stdout.strip()
    run([CRUFT, "link", "--no-input", "--checkout", release,
         "--extra-context", json.dumps(answers), str(template)],
        cwd=project, env=env)  # fmt: skip
    return project


def cruft_check_exit_code(project: Path, env: dict[str, str]) -> int:
    return subprocess.run(
        [CRUFT, "check"], cwd=project, env=env, capture_output=True, timeout=60, check=False
    ).returncode


@pytest.mark.parametrize(
    "create_project",
    [create_with_cruft, create_with_cookiecutter_then_link],
    ids=["cruft-create", "cookiecutter-then-cruft-link"],
)
def test_a_later_release_arrives_with_no_conflict_and_env_untouched(
    tmp_path: Path,
    git_env: dict[str, str],
    create_project: Callable[[Path, Path, dict[str, str]], Path],
):
    template = copy_template(tmp_path / "django-skel")
    start_repository(template, "A release", git_env)
    projects = tmp_path / "projects"
    projects.mkdir()
    project = create_project(template, projects, git_env)
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("# My Site", OUR_TITLE, 1))
    start_repository(project, "Our project", git_env)
    env_file = (project / ".env").read_bytes()
    template_readme = template / TEMPLATE_README
    template_readme.write_text(template_readme.read_text() + LATER_CHANGE)
    commit_everything(template, "A later release", git_env)
    assert cruft_check_exit_code(project, git_env) == 1  # it sees the later release

    run([CRUFT, "update", "--skip-apply-ask"], cwd=project, env=git_env)

    assert readme.read_text().endswith(ARRIVED)
    assert readme.read_text().startswith(OUR_TITLE)
    assert sorted(project.rglob("*.rej")) == []
    assert (project / ".env").read_bytes() == env_file
    assert cruft_check_exit_code(project, git_env) == 0
