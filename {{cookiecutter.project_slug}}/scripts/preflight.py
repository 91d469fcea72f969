"""Before pip installs the requirements: can this machine build what has no wheel?

pylibmc publishes wheels for CPython 3.11 only; on any other Python pip compiles it,
which needs a C compiler and the headers of Python, libmemcached and zlib. Nothing
local needs pylibmc unless memcached is configured, so where it cannot be built
this script leaves it out of the install, says so, and prints the one command that
would let pip build it. Heroku's build image has what it needs, so production
always has it. Standard library only: it runs before anything is installed.

    .venv/bin/python scripts/preflight.py requirements-dev.txt

prints the requirements file pip should install: the one given, or a copy without
pylibmc (in the virtualenv's folder). Exit 1: no pip to ask (the fix is printed).
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
# The headers pylibmc's C extension includes, and the Debian package of each. Python's
# own are in the package named after its version, for Debian's Python and for the
# deadsnakes ones alike (a pyenv Python brings its headers).
HEADER_PACKAGES = {
    "Python.h": f"python{sys.version_info.major}.{sys.version_info.minor}-dev",
    "libmemcached/memcached.h": "libmemcached-dev",
    "zlib.h": "zlib1g-dev",
}
NO_COMPILER = "a C compiler"
WHEEL_HINT = "\n\n(Or use Python 3.11, for which pylibmc publishes wheels.)"
# pylibmc's entry in a file uv pinned: its line, then its indented hashes and comments.
PYLIBMC_ENTRY = re.compile(r"(?m)^pylibmc==[^\n]*\n(?:[ \t]+[^\n]*\n)*")


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


def without_pylibmc(requirements: Path) -> Path:
    """A copy of `requirements` without pylibmc, in the virtualenv's folder."""
    kept = PYLIBMC_ENTRY.sub("", requirements.read_text())
    copy = Path(sys.prefix) / f"{requirements.stem}-without-pylibmc.txt"
    copy.write_text(kept)
    return copy


def notice(version: str, missing: list[str]) -> str:
    python = f"Python {sys.version_info.major}.{sys.version_info.minor}"
    return (
        f"preflight: pylibmc {version} has no wheel for {python} on this machine, so pip "
        f"would have to compile it, and this machine lacks {', '.join(missing)}. Installing "
        "without it: nothing local needs it, the cache stays in each process's memory "
        "(unless MEMCACHIER_SERVERS or MEMCACHE_SERVERS is set, which then says what to "
        "do). Heroku's build compiles it. To have it here too, run this, then make "
        f"install again:\n\n    {fix_command(missing)}"
        + ("" if sys.version_info[:2] == (3, 11) else WHEEL_HINT)
    )


def main() -> int:
    requirements = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements-dev.txt")
    # Without pip, every question below would look like "no wheel fits".
    if importlib.util.find_spec("pip") is None:
        print(
            f"preflight: {sys.executable} has no pip to ask. Run this script with the "
            "virtualenv's Python, as `make install` does: venv gives it pip.",
            file=sys.stderr,
        )
        return 1
    version = pinned_version("pylibmc")
    missing = [] if wheel_fits("pylibmc", version) else missing_build_tools()
    if missing:
        print(notice(version, missing), file=sys.stderr)
        requirements = without_pylibmc(requirements)
    print(requirements)
    return 0


if __name__ == "__main__":
    sys.exit(main())
