"""Before pip installs the requirements: can this machine build what has no wheel?

pylibmc publishes wheels for CPython 3.11 only; on any other Python pip compiles it,
which needs a C compiler and the headers of Python, libmemcached and zlib. Without
them pip fails after minutes of output. This script asks pip whether a wheel fits,
and if none does, checks the build tools and prints the one command that installs
what is missing. Standard library only: it runs before anything is installed.

    .venv/bin/python scripts/preflight.py   # what make install runs; exit 1: the fix is printed
"""

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
# The headers pylibmc's C extension includes, and the Debian package of each.
HEADER_PACKAGES = {
    "Python.h": "python3-dev",
    "libmemcached/memcached.h": "libmemcached-dev",
    "zlib.h": "zlib1g-dev",
}
NO_COMPILER = "a C compiler"
WHEEL_HINT = "\n\n(Or use Python 3.11, for which pylibmc publishes wheels.)"


def pinned_version(package: str) -> str:
    """The version requirements.txt pins for `package`."""
    match = re.search(rf"(?im)^{package}==([^\s;\\]+)", REQUIREMENTS.read_text())
    if match is None:
        raise SystemExit(f"preflight: requirements.txt pins no {package}")
    return match.group(1)


def wheel_fits(package: str, version: str) -> bool:
    """Whether pip finds a wheel of package==version for this interpreter."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--only-binary", ":all:", "--dest", scratch, f"{package}=={version}"]
        return subprocess.run(command, capture_output=True, check=False).returncode == 0


def compiler() -> list[str] | None:
    """The C compiler Python's build uses (CC overrides it), if it is installed."""
    command = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    return command if command and shutil.which(command[0]) else None


def include_flags() -> list[str]:
    """Where the compiler looks besides its defaults: Python's headers, and the
    prefix pylibmc's build reads from LIBMEMCACHED (Homebrew's, on macOS)."""
    flags = [f"-I{sysconfig.get_paths()['include']}"]
    if prefix := os.environ.get("LIBMEMCACHED"):
        flags.append(f"-I{Path(prefix) / 'include'}")
    return flags


def header_found(cc: list[str], header: str) -> bool:
    """Whether the compiler's preprocessor finds `header`."""
    source = f"#include <{header}>\n"
    command = [*cc, *include_flags(), "-E", "-x", "c", "-", "-o", os.devnull]
    result = subprocess.run(command, input=source, capture_output=True, text=True, check=False)
    return result.returncode == 0


def missing_build_tools() -> list[str]:
    """What pip needs to compile pylibmc and this machine lacks."""
    cc = compiler()
    if cc is None:
        return [NO_COMPILER]
    return [header for header in HEADER_PACKAGES if not header_found(cc, header)]


def fix_command(missing: list[str]) -> str:
    """The one command that installs what is missing, on this operating system."""
    if sys.platform == "darwin":
        steps = ["xcode-select --install"] if NO_COMPILER in missing else []
        steps.append("brew install libmemcached")
        steps.append('export LIBMEMCACHED="$(brew --prefix libmemcached)"')
        return " && ".join(steps)
    if NO_COMPILER in missing:
        packages = ["gcc", *HEADER_PACKAGES.values()]
    else:
        packages = [HEADER_PACKAGES[header] for header in missing]
    return "sudo apt-get install -y " + " ".join(packages)


def main() -> int:
    # Without pip, every question below would look like "no wheel fits".
    if importlib.util.find_spec("pip") is None:
        print(
            f"preflight: {sys.executable} has no pip to ask. Run this script with the "
            "virtualenv's Python, as `make install` does: venv gives it pip.",
            file=sys.stderr,
        )
        return 1
    version = pinned_version("pylibmc")
    if wheel_fits("pylibmc", version):
        return 0
    missing = missing_build_tools()
    if not missing:
        return 0
    python = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    print(
        f"preflight: pylibmc {version} has no wheel for {python} on this machine, so pip "
        f"must compile it, and this machine lacks {', '.join(missing)}. Install what is "
        f"missing, then try again:\n\n    {fix_command(missing)}"
        + ("" if sys.version_info[:2] == (3, 11) else WHEEL_HINT),
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
