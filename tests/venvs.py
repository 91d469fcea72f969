"""The virtualenvs generated projects run in, built once per change of their
requirements and kept in .cache/. `make test` builds them before pytest starts
(`python -m tests.venvs`), where their progress can be seen; the fixtures in
conftest.py build them too when pytest runs on its own."""

import fcntl
import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from .helpers import CACHE_DIR, PROJECT_TEMPLATE, generate_project, run
from .template import BROKERS

# What each kind installs from a generated project: all of development's tools, or
# only what Heroku's build installs.
KINDS = {"project": "requirements-dev.txt", "production": "requirements.txt"}
# The requirements are pinned with hashes, so pip checks every file it downloads.

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
    for name in KINDS.values():
        digest.update((PROJECT_TEMPLATE / BROKERS["redis"]["pins"] / name).read_bytes())
    return digest.hexdigest()[:16]


def cached_venv_path(kind: str) -> Path:
    """Where the `kind` virtualenv for the current requirements lives in .cache/."""
    return CACHE_DIR / f"{kind}-venv-{requirements_fingerprint()}"


def is_built(kind: str) -> bool:
    return (cached_venv_path(kind) / "installed").exists()


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Only one process at a time (pytest-xdist runs two) builds a virtualenv."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def cached_venv(kind: str, scratch: Path) -> Path:
    """The `kind` virtualenv, built from a project generated in `scratch` if it is not yet."""
    if not is_built(kind):
        build(kind, generate_project(scratch, celery_broker="redis"))
    return cached_venv_path(kind)


def build(kind: str, project: Path) -> None:
    """Install `project`'s requirements for `kind`, unless another process did meanwhile.
    The redis project's are installed: they are a superset of the rabbitmq one's."""
    venv = cached_venv_path(kind)
    with exclusive(CACHE_DIR / f"{kind}.lock"):
        if is_built(kind):
            return
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)], cwd=project)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
        if pylibmc_from_source():
            pip += ["--no-binary", "pylibmc"]
        # Every package is pinned: what the pins leave out would be missing, and
        # test_pins.py's `pip check` says so.
        pip += ["--no-deps"]
        run([*pip, "-r", KINDS[kind]], cwd=project)
        (venv / "installed").touch()


def build_message(kind: str) -> str:
    return (
        f"Building the {kind} virtualenv in .cache/ from the project's {KINDS[kind]} "
        "(once per change of the requirements; a few minutes when pylibmc builds)..."
    )


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


def main() -> None:
    missing = [kind for kind in KINDS if not is_built(kind)]
    if not missing:
        return
    with tempfile.TemporaryDirectory() as scratch:
        # One project for both: cookiecutter changes the working directory as it
        # generates, so it must not run in two threads at once.
        project = generate_project(Path(scratch), celery_broker="redis")
        for kind in missing:
            print(build_message(kind), flush=True)
        # Side by side: pip keeps about one core busy, and make test has two.
        with ThreadPoolExecutor() as builds:
            for finished in [builds.submit(build, kind, project) for kind in missing]:
                finished.result()


if __name__ == "__main__":
    main()
