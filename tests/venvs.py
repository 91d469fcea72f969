"""The virtualenvs generated projects run in, built once per change of their
requirements and kept in .cache/. `make test` builds them before pytest starts
(`python -m tests.venvs`, with the template's tooling: uv is one of its tools),
where their progress can be seen; the fixtures in conftest.py build them too when
pytest runs on its own."""

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from .paths import CACHE_DIR, PROJECT_TEMPLATE, tool
from .template import BROKERS, OPTIONS

# What each kind installs: all of development's tools, or only what Heroku's build
# installs. The requirements are pinned with hashes, so pip checks every file it
# downloads.
KINDS = {"project": "requirements-dev.txt", "production": "requirements.txt"}

# The redis project's pins, as its post-generation hook puts them in the project:
# a superset of the rabbitmq one's.
PINS = PROJECT_TEMPLATE / BROKERS["redis"]["pins"]

# pylibmc's wheels bundle libmemcached 1.0.16, whose SASL login (MemCachier's)
# reads the server's list of mechanisms into memory it never cleared: whether it
# logs in depends on what the stack held before. libmemcached 1.1 fixed it, and is
# what pip builds pylibmc against on Heroku (Python 3.12+, no wheel) and here,
# when its headers are installed (.ci/run installs them).
LIBMEMCACHED_HEADERS = Path("/usr/include/libmemcached/memcached.h")


# The Python a project gets with the default answers, and so Heroku runs it on:
# the generated projects run on it here too, found as on a user's machine.
DEFAULT_PYTHON = OPTIONS["python_version"][0]


def pylibmc_from_source() -> bool:
    return LIBMEMCACHED_HEADERS.is_file()


@functools.cache
def find_python(version: str) -> Path | None:
    """`python3.X` on PATH, else the newest pyenv build of that version, else None."""
    on_path = shutil.which(f"python{version}")
    # pyenv's shim is on PATH for every version it knows, and fails unless the
    # version is selected: only a `python3.X` that runs counts.
    if on_path and subprocess.run([on_path, "-c", ""], capture_output=True).returncode == 0:
        return Path(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    builds = sorted(
        pyenv_root.glob(f"versions/{version}.*/bin/python{version}"),
        key=lambda path: [
            int(part) for part in path.parent.parent.name.split(".") if part.isdigit()
        ],
    )
    return builds[-1] if builds else None


def install_hint(version: str) -> str:
    return (
        f"Python {version} is not installed: `pyenv install {version}`, "
        f"or your system's python{version}"
    )


def project_python(version: str = DEFAULT_PYTHON) -> Path:
    """That Python (the default answer's unless named); FileNotFoundError naming
    how to install it."""
    found = find_python(version)
    if found is None:
        raise FileNotFoundError(install_hint(version))
    return found


def fingerprint(version: str, *requirements: Path) -> str:
    """Changes whenever one of these requirements files, or how they install, changes."""
    python = find_python(version)
    digest = hashlib.sha256(f"{python} pylibmc-from-source={pylibmc_from_source()}".encode())
    for path in requirements:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cached_venv_path(kind: str, version: str = DEFAULT_PYTHON) -> Path:
    """Where the `kind` virtualenv on Python `version` for the current requirements
    lives in .cache/ (the default Python's keeps its short name)."""
    requirements = (PINS / name for name in KINDS.values())
    python = "" if version == DEFAULT_PYTHON else f"-{version}"
    return CACHE_DIR / f"{kind}{python}-venv-{fingerprint(version, *requirements)}"


def is_built(kind: str, version: str = DEFAULT_PYTHON) -> bool:
    return (cached_venv_path(kind, version) / "installed").exists()


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Only one process at a time (pytest-xdist runs two) builds a virtualenv."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def cached_venv(kind: str, version: str = DEFAULT_PYTHON) -> Path:
    """The `kind` virtualenv on Python `version`, built first if it is not yet."""
    build(kind, version)
    return cached_venv_path(kind, version)


def build(kind: str, version: str = DEFAULT_PYTHON) -> None:
    """Install the pinned requirements for `kind`, unless another process did meanwhile.
    uv, not venv and pip: it fetches the files side by side (venv and pip, one file
    after another, took 42 and 47 s here, uv 7.4 and 7.6 s, side by side, with an
    empty uv cache), and checks them against the pinned hashes too."""
    venv = cached_venv_path(kind, version)
    with exclusive(CACHE_DIR / f"{kind}.lock"):
        if is_built(kind, version):
            return
        shutil.rmtree(venv, ignore_errors=True)
        # Not captured: uv (quiet otherwise) shows its errors in the terminal, or in
        # pytest's report, as they come.
        uv = tool("uv")
        python = str(project_python(version))
        subprocess.run([uv, "venv", "--quiet", "--python", python, str(venv)], check=True)
        install = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        if pylibmc_from_source():
            install += ["--no-binary", "pylibmc"]
        # Every package is pinned: what the pins leave out would be missing, and
        # test_pins.py's `uv pip check` says so.
        install += ["--no-deps", "--require-hashes", "-r", str(PINS / KINDS[kind])]
        subprocess.run(install, check=True)
        (venv / "installed").touch()


def build_message(kind: str) -> str:
    return (
        f"Building the {kind} virtualenv in .cache/ from the project's {KINDS[kind]} "
        "(once per change of the requirements; a minute or two when pylibmc builds)..."
    )


def main() -> None:
    if find_python(DEFAULT_PYTHON) is None:
        # The tests that need these virtualenvs skip (or fail, in CI) and say why.
        print(f"Not building the projects' virtualenvs: {install_hint(DEFAULT_PYTHON)}.")
        return
    missing = [kind for kind in KINDS if not is_built(kind)]
    for kind in missing:
        print(build_message(kind), flush=True)
    with ThreadPoolExecutor() as pool:
        for finished in [pool.submit(build, kind) for kind in missing]:
            finished.result()


if __name__ == "__main__":
    main()
