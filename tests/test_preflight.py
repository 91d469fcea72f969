"""`make install` (and the template's `make demo`) run the generated project's
scripts/preflight.py before pip: where pylibmc has no wheel for the Python in use
and the machine lacks a C compiler or libmemcached's headers, the project installs
without pylibmc (nothing local needs it) and the user hears what to install to have
it, instead of a compiler error minutes into pip's output.

pip looks only in a folder of this test's (no index, no network): an empty one
means no wheel fits, one holding a pylibmc wheel means one does."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .helpers import found_in, generate_project
from .venvs import LIBMEMCACHED_HEADERS


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return generate_project(tmp_path_factory.mktemp("preflight"))


def pinned_pylibmc(project: Path) -> str:
    return found_in(r"(?m)^pylibmc==(\S+) ", (project / "requirements.txt").read_text()).group(1)


def write_wheel(folder: Path, name: str, version: str) -> None:
    """A minimal pure-Python wheel: what pip needs to call it a fit."""
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        wheel.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        wheel.writestr(f"{info}/RECORD", "")


def compiler_without_libmemcached(folder: Path) -> Path:
    """The system's C compiler, looking at a copy of /usr/include that lacks
    libmemcached's headers: a machine where libmemcached-dev is not installed."""
    include = folder / "include"
    include.mkdir()
    for entry in Path("/usr/include").iterdir():
        if not entry.name.startswith("libmemcached"):
            (include / entry.name).symlink_to(entry)
    builtin = subprocess.run(["cc", "-print-file-name=include"], capture_output=True, text=True)
    multiarch = subprocess.run(["cc", "-print-multiarch"], capture_output=True, text=True)
    wrapper = folder / "cc"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'exec cc -nostdinc -isystem "{builtin.stdout.strip()}" -isystem "{include}" '
        f'-isystem "{include / multiarch.stdout.strip()}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper


def preflight(
    project: Path, wheels: Path, compiler: str, python: str = sys.executable
) -> subprocess.CompletedProcess:
    """Run it as `make install` does; its stdout names the file pip should install."""
    env = {
        **os.environ,
        "PIP_CONFIG_FILE": os.devnull,  # no machine-wide index or wheel folder
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "CC": compiler,
    }
    return subprocess.run(
        [python, "scripts/preflight.py", "requirements-dev.txt"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_python_with_a_wheel_needs_no_compiler(project, tmp_path):
    write_wheel(tmp_path, "pylibmc", pinned_pylibmc(project))

    result = preflight(project, tmp_path, compiler="/nonexistent/cc")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "requirements-dev.txt"


def test_a_python_without_pip_is_named_not_taken_for_a_missing_wheel(project, tmp_path):
    write_wheel(tmp_path, "pylibmc", pinned_pylibmc(project))
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)

    result = preflight(
        project, tmp_path, compiler="/nonexistent/cc", python=str(bare / "bin" / "python")
    )

    assert result.returncode == 1
    assert f"{bare / 'bin' / 'python'} has no pip to ask" in result.stderr
    assert "no wheel" not in result.stderr


def test_without_a_wheel_or_a_compiler_it_installs_all_but_pylibmc_and_says_how_to_have_it(
    project, tmp_path
):
    result = preflight(project, tmp_path, compiler="/nonexistent/cc")

    assert result.returncode == 0
    assert f"pylibmc {pinned_pylibmc(project)} has no wheel" in result.stderr
    assert "lacks a C compiler. Installing without it" in result.stderr
    python_headers = f"python{sys.version_info.major}.{sys.version_info.minor}-dev"
    expected = f"sudo apt-get install -y gcc {python_headers} libmemcached-dev zlib1g-dev"
    assert expected in result.stderr
    # Python 3.11 is only suggested to a Python that is not already 3.11.
    assert ("Or use Python 3.11" in result.stderr) is (sys.version_info[:2] != (3, 11))
    kept = Path(result.stdout.strip()).read_text()
    everything = (project / "requirements-dev.txt").read_text()
    assert "pylibmc" not in kept
    assert kept.count("==") == everything.count("==") - 1, "only pylibmc is left out"
    assert kept.count("--hash=") < everything.count("--hash=")


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_without_a_wheel_missing_libmemcached_headers_are_named(project, tmp_path):
    compiler = compiler_without_libmemcached(tmp_path)

    result = preflight(project, tmp_path, compiler=str(compiler))

    assert result.returncode == 0
    assert "requirements-dev-without-pylibmc.txt" in result.stdout
    assert "libmemcached/memcached.h" in result.stderr
    assert "Python.h" not in result.stderr
    assert "sudo apt-get install -y libmemcached-dev" in result.stderr


def test_without_a_wheel_a_machine_that_can_compile_goes_ahead(project, tmp_path):
    if not (shutil.which("cc") and LIBMEMCACHED_HEADERS.is_file()):
        reason = "needs cc and libmemcached's headers (apt-get install gcc libmemcached-dev)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)

    result = preflight(project, tmp_path, compiler="cc")

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "requirements-dev.txt"


@pytest.mark.venv
def test_without_a_compiler_the_project_installs_and_passes_its_checks(tmp_path, offline_pip):
    """`make install` on a machine with no compiler and no pylibmc wheel in reach
    (the wheelhouse without it), then the project's own `make check`: it passes,
    its memcached tests skipped. The folder holds a .venv of another Python (an
    earlier install): it is made anew, not mixed."""
    project = generate_project(tmp_path)
    stale = project / ".venv" / "bin"
    stale.mkdir(parents=True)
    (stale / "python").write_text("#!/bin/sh\necho 2.7\n")
    (stale / "python").chmod(0o755)
    wheels = tmp_path / "wheels-but-pylibmc"
    wheels.mkdir()
    for wheel in Path(offline_pip["PIP_FIND_LINKS"]).iterdir():
        if not wheel.name.startswith("pylibmc"):
            (wheels / wheel.name).symlink_to(wheel)
    env = {**os.environ, **offline_pip, "PIP_FIND_LINKS": str(wheels), "CC": "/nonexistent/cc"}

    installed = subprocess.run(
        ["make", "install", f"PYTHON={sys.executable}"], cwd=project, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    checked = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "scripts/check.py"], cwd=project,
        env={"PATH": f"{project / '.venv' / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert installed.returncode == 0, installed.stderr
    assert ".venv holds another Python than" in installed.stdout
    assert "Installing without it" in installed.stderr
    assert not list((project / ".venv").glob("lib/python*/site-packages/pylibmc*"))
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert re.search(r"\d+ passed, \d+ skipped", checked.stdout), checked.stdout[-500:]
