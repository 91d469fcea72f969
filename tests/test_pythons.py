"""Every Python the template offers runs the generated project. The default answer's
(3.13, what Heroku runs a new project on) runs every other test of the suite; each
other one passes the project's own `make check` here, with pylibmc compiled
against libmemcached as on Heroku's build."""

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import built_venv
from .helpers import generate_project, run
from .template import OPTIONS
from .venvs import DEFAULT_PYTHON

pytestmark = pytest.mark.venv

OTHER_PYTHONS = [version for version in OPTIONS["python_version"] if version != DEFAULT_PYTHON]


@pytest.mark.parametrize("version", OTHER_PYTHONS)
def test_make_check_passes_on_each_other_offered_python(
    version: str, tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    venv = built_venv(pytestconfig, "project", version)
    project = generate_project(tmp_path, python_version=version)
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }

    python = subprocess.run(
        ["python", "--version"], cwd=project, env=env, capture_output=True, text=True, check=True
    )
    checked = run(["make", "check"], project, env)

    assert python.stdout.startswith(f"Python {version}."), python.stdout
    assert (project / ".python-version").read_text().strip() == version
    assert " passed" in checked.stdout
