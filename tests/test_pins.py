"""Every package a generated project installs is pinned, with hashes, and the pins
agree with the short lists of what the project uses directly (requirements*.in)."""

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .helpers import generate_project, run
from .paths import tool
from .template import BROKERS

PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+?)(?: ;[^\\]*)? \\$")
# The .in files' own lines: skip comments and -r / -c includes.
IN_LINE = re.compile(r"^\s*(?!#|-)(\S[^#]*)")


def pins(lock: Path) -> dict[str, str]:
    """Package name -> pinned version, from a file uv compiled with hashes."""
    lines = lock.read_text().splitlines()
    found = {}
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        match = PIN.match(line)
        if match:
            assert following.strip().startswith("--hash=sha256:"), (
                f"{lock.name}: {line} has no hash"
            )
            found[str(canonicalize_name(match.group(1)))] = match.group(2)
    return found


def direct_requirements(source: Path) -> list[Requirement]:
    matches = (IN_LINE.match(line) for line in source.read_text().splitlines())
    return [Requirement(match.group(1).strip()) for match in matches if match]


@pytest.fixture(scope="module", params=sorted(BROKERS))
def project(request, tmp_path_factory) -> Path:
    return generate_project(tmp_path_factory.mktemp(request.param), celery_broker=request.param)


@pytest.mark.parametrize("name", ["requirements", "requirements-dev"])
def test_every_direct_requirement_is_pinned_within_its_bounds(project, name):
    pinned = pins(project / f"{name}.txt")

    for requirement in direct_requirements(project / f"{name}.in"):
        version = pinned.get(canonicalize_name(requirement.name))
        assert version, f"{requirement.name} is in {name}.in but not pinned: run make requirements"
        assert requirement.specifier.contains(version), f"{requirement} vs pinned {version}"


def test_development_installs_what_production_runs_at_the_same_versions(project):
    production = pins(project / "requirements.txt")
    development = pins(project / "requirements-dev.txt")

    assert {name: development.get(name) for name in production} == production


def test_only_the_redis_project_pins_the_redis_client(project):
    uses_redis = "[redis]" in (project / "requirements.in").read_text()

    assert ("redis" in pins(project / "requirements.txt")) == uses_redis


@pytest.mark.venv
@pytest.mark.parametrize("kind", ["production_venv", "project_venv"])
def test_the_pins_alone_install_a_consistent_environment(request, kind):
    """The virtualenvs are installed with `uv pip install --no-deps -r` requirements.txt
    (production) or requirements-dev.txt: whatever the pins forgot is missing, and
    `uv pip check` says so (and exits non-zero)."""
    venv = request.getfixturevalue(kind)
    result = run([tool("uv"), "pip", "check", "--python", str(venv / "bin" / "python")], cwd=venv)

    assert "All installed packages are compatible" in result.stdout + result.stderr


@pytest.mark.parametrize("name", ["requirements", "requirements-dev"])
def test_each_pin_file_names_the_command_that_made_it(project, name):
    """The header is what `make requirements` runs (less --quiet), so that whoever
    edits a pin, Dependabot included, can make the whole file again the same way."""
    pin = re.search(r"(?m)^PIN = (.+)$", (project / "Makefile").read_text())
    assert pin is not None
    command = pin.group(1).replace(" --quiet", "")

    header = (project / f"{name}.txt").read_text().splitlines()[:2]

    assert header[1] == f"#    {command} {name}.in -o {name}.txt"
