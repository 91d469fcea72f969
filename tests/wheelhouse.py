"""The wheelhouse: a folder of the very files pip installs for a project generated
with the default answers (the redis project's requirements-dev.txt), for the demo's
cookiecutter with what it needs, and for the build backends of the pinned packages
that come only as source. The tests that install as the README says (`make demo`,
post_gen_checks=full) point pip at it and nowhere else (`offline_pip`): the same
files, the same hash checks, no index to ask. pip asks the index about each package
and fetches each file one after another (an install of the project's requirements
took 22 s here from PyPI, 11 s from this folder); this folder is fetched once per
change of the requirements, side by side, in about 4 s.

uv says which file of each package this Python installs (a pylock.toml, PEP 751,
resolved for this interpreter); this module fetches them and checks their hashes.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .paths import CACHE_DIR, TEMPLATE_DIR, tool
from .venvs import KINDS, PINS, exclusive, fingerprint

TEMPLATE_TOOLS = TEMPLATE_DIR / "requirements-dev.txt"
# What pip builds dj-static and static3 with (they publish no wheel).
BUILD_BACKENDS = ("setuptools", "wheel")
DOWNLOADS_AT_ONCE = 8

MESSAGE = (
    "Fetching the wheelhouse in .cache/: the files pip installs for a project with the "
    "default answers, for the tests that install one as a user does (once per change)..."
)


def wheelhouse_path() -> Path:
    tooling_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (
        CACHE_DIR
        / f"wheelhouse-{fingerprint(tooling_python, PINS / KINDS['project'], TEMPLATE_TOOLS)}"
    )


def is_built() -> bool:
    return (wheelhouse_path() / "complete").exists()


def cached_wheelhouse() -> Path:
    """The wheelhouse, fetched first if it is not yet."""
    build()
    return wheelhouse_path()


def offline_pip(wheelhouse: Path) -> dict[str, str]:
    """Environment variables that make pip install from `wheelhouse` alone: no
    index, and none of this machine's pip configuration."""
    return {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}


def build() -> None:
    wheelhouse = wheelhouse_path()
    with exclusive(CACHE_DIR / "wheelhouse.lock"):
        if is_built():
            return
        shutil.rmtree(wheelhouse, ignore_errors=True)
        wheelhouse.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as scratch:
            demo_tools = Path(scratch) / "demo-tools.in"
            demo_tools.write_text("\n".join([cookiecutter_pin(), *BUILD_BACKENDS]) + "\n")
            files = [
                *files_to_install(PINS / KINDS["project"], Path(scratch) / "project", pinned=True),
                *files_to_install(demo_tools, Path(scratch) / "demo", pinned=False),
            ]
        with ThreadPoolExecutor(DOWNLOADS_AT_ONCE) as downloads:
            for finished in [downloads.submit(fetch, file, wheelhouse) for file in files]:
                finished.result()
        (wheelhouse / "complete").touch()


def cookiecutter_pin() -> str:
    (pin,) = [
        line
        for line in TEMPLATE_TOOLS.read_text().splitlines()
        if line.startswith("cookiecutter==")
    ]
    return pin


def files_to_install(requirements: Path, scratch: Path, pinned: bool) -> list[dict]:
    """For each package `requirements` installs on this Python, the file pip takes:
    a wheel for this interpreter where one exists, else the source (pylock.toml's
    `url` and `hashes`). Pinned files list every package, so uv need not resolve."""
    scratch.mkdir()
    lock = scratch / "pylock.toml"
    compile_lock = [tool("uv"), "pip", "compile", "--quiet", "--format", "pylock.toml"]
    compile_lock += ["--python", sys.executable, "--output-file", str(lock), str(requirements)]
    subprocess.run([*compile_lock, *(["--no-deps"] if pinned else [])], check=True)
    packages = tomllib.loads(lock.read_text())["packages"]
    return [
        package["wheels"][0] if package.get("wheels") else package["sdist"] for package in packages
    ]


def fetch(file: dict, wheelhouse: Path) -> None:
    """Download one file into the wheelhouse; refuse it unless its hash is the lock's."""
    name = file["url"].rsplit("/", 1)[1]
    with urllib.request.urlopen(file["url"], timeout=60) as response:
        content = response.read()
    if hashlib.sha256(content).hexdigest() != file["hashes"]["sha256"]:
        raise RuntimeError(f"{name}: its sha256 is not the one uv's lock names")
    (wheelhouse / name).write_bytes(content)


if __name__ == "__main__":
    if not is_built():
        print(MESSAGE, flush=True)
    build()
