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


def cached_venv_path(kind: str) -> Path:
    """Where the `kind` virtualenv for the current requirements lives in .cache/."""
    return CACHE_DIR / f"{kind}-venv-{requirements_fingerprint()}"


def cached_venv(kind: str, requirements: str, scratch: Path) -> Path:
    """A virtualenv with a generated project's `requirements` file installed, kept in
    .cache/ until the requirements change. The redis variant is installed: it is a
    superset of the rabbitmq one."""
    venv = cached_venv_path(kind)
    if (venv / "installed").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    project = generate_project(scratch, celery_broker="redis")
    run([sys.executable, "-m", "venv", str(venv)], cwd=project)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "-r", requirements], cwd=project)
    (venv / "installed").touch()
    return venv


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Everything a generated project needs for development, shared by every test."""
    return cached_venv("project", "requirements-dev.txt", tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def production_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only requirements.txt, as Heroku's build installs it."""
    return cached_venv("production", "requirements.txt", tmp_path_factory.mktemp("prod"))


def generate_project(output_dir: Path, **answers: str) -> Path:
    """Generate a project without the post-generation checks; return its folder."""
    context = {"post_gen_checks": "none", **answers}
    folder = cookiecutter(
        str(TEMPLATE_DIR), no_input=True, output_dir=str(output_dir), extra_context=context
    )
    return Path(folder)


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
