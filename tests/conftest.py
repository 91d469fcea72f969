"""Fixtures shared by the template's tests."""

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from . import servers
from .helpers import CACHE_DIR, PROJECT_TEMPLATE, TEMPLATE_DIR, run

# pylibmc's wheels bundle libmemcached 1.0.16, whose SASL login (MemCachier's)
# reads the server's list of mechanisms into memory it never cleared: whether it
# logs in depends on what the stack held before. libmemcached 1.1 fixed it, and is
# what pip builds pylibmc against on Heroku (Python 3.12+, no wheel) and here,
# when its headers are installed (.ci/run installs them).
LIBMEMCACHED_HEADERS = Path("/usr/include/libmemcached/memcached.h")


def pylibmc_from_source() -> bool:
    return LIBMEMCACHED_HEADERS.is_file()


def requirements_fingerprint() -> str:
    """Changes whenever the generated project's requirements, or how they install, change."""
    digest = hashlib.sha256(f"{sys.version} pylibmc-from-source={pylibmc_from_source()}".encode())
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
    if pylibmc_from_source():
        pip += ["--no-binary", "pylibmc"]
    run([*pip, "-r", requirements], cwd=project)
    (venv / "installed").touch()
    return venv


def require_sasl_capable_pylibmc(venv: Path) -> None:
    """Skip (locally) or fail (in CI) a test that logs in to memcached with SASL
    when the virtualenv's pylibmc carries the libmemcached whose login is luck."""
    version = run(
        [str(venv / "bin" / "python"), "-c", "import pylibmc; print(pylibmc.libmemcached_version)"],
        cwd=venv,
    ).stdout.strip()
    if not version.startswith("1.0."):
        return
    reason = (
        f"pylibmc here bundles libmemcached {version}, whose SASL login fails at random; "
        "install libmemcached's headers (apt-get install libmemcached-dev, as .ci/run does) "
        "so that pylibmc is built against libmemcached 1.1"
    )
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def announce(config: pytest.Config, message: str) -> None:
    """Say, between the dots, what a long step is doing."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        # Output capture is on during fixture set-up: step out of it to be seen.
        with capture.global_and_fixture_disabled():
            reporter.write_line(message)


def built_venv(config: pytest.Config, kind: str, requirements: str, scratch: Path) -> Path:
    if not (cached_venv_path(kind) / "installed").exists():
        announce(
            config,
            f"\nBuilding the {kind} virtualenv in .cache/ from the project's {requirements} "
            "(once per change of the requirements; a few minutes when pylibmc builds)...",
        )
    return cached_venv(kind, requirements, scratch)


@pytest.fixture(scope="session")
def project_venv(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Everything a generated project needs for development, shared by every test."""
    return built_venv(
        pytestconfig, "project", "requirements-dev.txt", tmp_path_factory.mktemp("dev")
    )


@pytest.fixture(scope="session")
def production_venv(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Only requirements.txt, as Heroku's build installs it."""
    return built_venv(
        pytestconfig, "production", "requirements.txt", tmp_path_factory.mktemp("prod")
    )


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
