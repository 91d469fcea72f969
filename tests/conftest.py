"""Fixtures shared by the template's tests."""

import os
from pathlib import Path

import pytest

from . import servers, venvs, wheelhouse
from .paths import TEMPLATE_DIR


def announce(config: pytest.Config, message: str) -> None:
    """Say, between the dots, what a long step is doing."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        # Output capture is on during fixture set-up: step out of it to be seen.
        with capture.global_and_fixture_disabled():
            reporter.write_line(message)


def require_python(version: str) -> None:
    """Skip (locally) or fail (in CI) a test whose Python is not installed, as a
    test whose server is missing."""
    try:
        venvs.project_python(version)
    except FileNotFoundError as missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: CI machines have it through pyenv")
        pytest.skip(str(missing))


def built_venv(config: pytest.Config, kind: str, version: str = venvs.DEFAULT_PYTHON) -> Path:
    """A generated project's virtualenv, on the default answer's Python unless named."""
    require_python(version)
    if not venvs.is_built(kind, version):
        announce(config, "\n" + venvs.build_message(kind))
    return venvs.cached_venv(kind, version)


@pytest.fixture(scope="session")
def project_venv(pytestconfig: pytest.Config) -> Path:
    """Everything a generated project needs for development, shared by every test."""
    return built_venv(pytestconfig, "project")


@pytest.fixture(scope="session")
def production_venv(pytestconfig: pytest.Config) -> Path:
    """Only requirements.txt, as Heroku's build installs it."""
    return built_venv(pytestconfig, "production")


@pytest.fixture(scope="session")
def offline_pip(pytestconfig: pytest.Config) -> dict[str, str]:
    """The environment variables that have pip install from the wheelhouse alone."""
    if not wheelhouse.is_built():
        announce(pytestconfig, "\n" + wheelhouse.MESSAGE)
    return wheelhouse.offline_pip(wheelhouse.cached_wheelhouse())


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


@pytest.fixture
def git_env(tmp_path: Path) -> dict[str, str]:
    """A bare machine: a fresh HOME (no ~/.cookiecutterrc, no replay folder and no
    git configuration of yours takes part), and a git identity for the commits."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "COOKIECUTTER_"))
    }
    identity = {"NAME": "Template Test", "EMAIL": "template-test@example.com"}
    for role in ("AUTHOR", "COMMITTER"):
        for field, value in identity.items():
            env[f"GIT_{role}_{field}"] = value
    return {**env, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a run that skipped tests for want of a server, say once how to install them."""
    skipped = terminalreporter.stats.get("skipped", [])
    missing = [report for report in skipped if servers.MISSING_SERVER_HINT in str(report.longrepr)]
    if missing:
        packages = (TEMPLATE_DIR / ".ci" / "packages").read_text().strip()
        terminalreporter.write_line(
            f"{len(missing)} tests skipped: their servers are not installed. Install them "
            f"(Debian/Ubuntu, as .ci/run does): sudo apt-get install -y {packages}",
            yellow=True,
            bold=True,
        )
