"""Fixtures shared by the template's tests."""

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .helpers import CACHE_DIR, PROJECT_TEMPLATE, TEMPLATE_DIR, run


def requirements_fingerprint() -> str:
    """Changes whenever the generated project's requirements change."""
    digest = hashlib.sha256(sys.version.encode())
    for name in ("requirements.txt", "requirements-dev.txt"):
        digest.update((PROJECT_TEMPLATE / name).read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtualenv with the generated requirements, shared by every option
    combination and kept in .cache/ between runs (the redis variant installs a
    superset of the rabbitmq one)."""
    venv = CACHE_DIR / f"project-venv-{requirements_fingerprint()}"
    if (venv / "installed").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    scratch = tmp_path_factory.mktemp("requirements")
    cookiecutter(
        str(TEMPLATE_DIR),
        no_input=True,
        output_dir=str(scratch),
        extra_context={"celery_broker": "redis", "post_gen_checks": "none"},
    )
    project = scratch / "my_site"
    run([sys.executable, "-m", "venv", str(venv)], cwd=scratch)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "-r", "requirements-dev.txt"], cwd=project)
    (venv / "installed").touch()
    return venv


@pytest.fixture
def venv_env(project_venv: Path) -> dict[str, str]:
    """The environment to run a generated project's commands in: its virtualenv
    first on PATH, and none of this process's Django or Celery settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "CELERY_", "DATABASE_", "MEMCACH", "REDIS_"))
    }
    env["PATH"] = f"{project_venv / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("VIRTUAL_ENV", None)
    return env
