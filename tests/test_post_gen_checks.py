"""The post-generation checks catch a broken output, say what failed, and leave
nothing behind. Faults are planted in a copy of the template."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from .helpers import copy_template, generate_project
from .template import post_gen

PROJECT = "{{cookiecutter.project_slug}}"


def add_syntax_error(project: Path) -> None:
    (project / "core" / "broken.py").write_text("def broken(:\n")


def drop_worker_process(project: Path) -> None:
    procfile = project / "Procfile"
    lines = procfile.read_text().splitlines(keepends=True)
    procfile.write_text("".join(line for line in lines if not line.startswith("worker:")))


def point_web_at_a_missing_module(project: Path) -> None:
    procfile = project / "Procfile"
    procfile.write_text(procfile.read_text().replace(".wsgi", ".missing_wsgi"))


def break_app_json(project: Path) -> None:
    (project / "app.json").write_text('{"name": }')


def leave_a_tag_unrendered(project: Path) -> None:
    # {% raw %} keeps cookiecutter from rendering the tag, as a typo in a filter would.
    (project / "NOTES.md").write_text("{% raw %}{{ cookiecutter.project_slug }}{% endraw %}\n")


def add_an_unused_import(project: Path) -> None:
    # make check's first gate (ruff) refuses it: the check fails in seconds, not after
    # the project's whole test suite.
    (project / "core" / "planted.py").write_text("import os\n")


@pytest.fixture
def template_with(tmp_path: Path) -> Callable[[Callable[[Path], None]], Path]:
    def make(plant_fault: Callable[[Path], None]) -> Path:
        copy = copy_template(tmp_path / "template")
        plant_fault(copy / PROJECT)
        return copy

    return make


FAULTS_AND_REPORTS = [
    (add_syntax_error, "core/broken.py:1: "),
    (drop_worker_process, "Procfile: no 'worker' process"),
    (point_web_at_a_missing_module, "Procfile: 'web' needs config/missing_wsgi.py"),
    (break_app_json, "app.json: Expecting value"),
    (leave_a_tag_unrendered, "NOTES.md:1: unrendered"),
]


def test_a_clean_project_passes_the_fast_checks(tmp_path):
    assert post_gen.run_fast_checks(generate_project(tmp_path)) == []


@pytest.mark.parametrize(
    ("plant_fault", "reported"),
    FAULTS_AND_REPORTS,
    ids=lambda value: getattr(value, "__name__", None),
)
def test_fast_checks_name_the_fault(tmp_path, plant_fault, reported):
    project = generate_project(tmp_path)
    plant_fault(project)

    found = post_gen.run_fast_checks(project)

    assert len(found) == 1, found
    assert found[0].startswith(reported)


def test_a_failed_check_is_reported_and_removes_the_output(cookies, capfd, tmp_path, template_with):
    result = cookies.bake(template=str(template_with(drop_worker_process)))

    assert result.exit_code != 0
    errors = capfd.readouterr().err
    assert "CHECK FAILED: Procfile: no 'worker' process" in errors
    assert "removed" in errors
    assert [path for path in (tmp_path / "cookies").rglob("*") if path.is_file()] == []


def test_checks_none_skips_the_checks(cookies, template_with):
    result = cookies.bake(
        template=str(template_with(add_syntax_error)), extra_context={"post_gen_checks": "none"}
    )

    assert result.exit_code == 0


@pytest.mark.venv
def test_a_failed_make_check_is_reported_with_what_it_said(tmp_path, project_venv):
    """The full level's last step, on the tools the test suite installed once: the
    step before it (the throwaway install) is what test_generated_projects.py's
    full bake runs, and the hook reports any problem as the test above shows."""
    project = generate_project(tmp_path)
    add_an_unused_import(project)

    problems = post_gen.run_make_check(project, project_venv)

    assert len(problems) == 1, problems
    assert problems[0].startswith("`make check` failed")
    assert "core/planted.py" in problems[0] and "F401" in problems[0]


def test_full_check_says_what_the_machine_lacks_before_pip_fails(
    cookies, capfd, monkeypatch, tmp_path
):
    """No pylibmc wheel within pip's reach (an empty folder, no index) and no C
    compiler: the project's preflight names both and the command that installs the
    compiler, and leaves pylibmc out, instead of a compiler error; here nothing else
    is within reach either, so the install then fails, and says so."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    monkeypatch.setenv("CC", "/nonexistent/cc")

    result = cookies.bake(extra_context={"post_gen_checks": "full"})

    assert result.exit_code != 0
    errors = capfd.readouterr().err
    assert "installing the requirements failed" in errors
    assert "has no wheel" in errors and "lacks a C compiler. Installing without it" in errors
    assert "sudo apt-get install -y gcc" in errors
