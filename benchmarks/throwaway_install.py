"""What `post_gen_checks=full` costs with and without compiling the install to bytecode.

The full check installs requirements-dev.txt into a throwaway virtualenv and runs
`make check` in it once. pip compiles every installed module to bytecode by
default; `make check` imports a fraction of them. This generates a project and,
round after round, times both ways side by side: the install, then `make check`
(which compiles what it imports on first use), and prints a table.

Run it with `make bench`, or alone: `.venv/bin/python benchmarks/throwaway_install.py
[--rounds N]`. It needs what the full check needs (pip's index or its cache).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
VARIANTS = {"pip's default (--compile)": "--compile", "--no-compile": "--no-compile"}


def generate(scratch: Path) -> Path:
    folder = cookiecutter(
        str(TEMPLATE_DIR), no_input=True, output_dir=str(scratch),
        extra_context={"post_gen_checks": "none"},
    )  # fmt: skip
    return Path(folder)


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return time.monotonic() - started


def one_round(project: Path, flag: str) -> tuple[float, float]:
    """Seconds to install into a new virtualenv with `flag`, then to run make check."""
    with tempfile.TemporaryDirectory(prefix="bench-venv-") as venv:
        bin_dir = Path(venv) / "bin"
        install = timed([sys.executable, "-m", "venv", venv], project)
        pip = [str(bin_dir / "pip"), "install", "--quiet", "--no-deps", flag]
        install += timed([*pip, "-r", "requirements-dev.txt"], project)
        env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LANG": "C.UTF-8"}
        env["HOME"] = os.environ.get("HOME", venv)
        check = timed(["make", "check"], project, env)
    return install, check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="bench-install-") as scratch:
        project = generate(Path(scratch))
        seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
        for number in range(1, rounds + 1):
            for name, flag in VARIANTS.items():
                print(f"round {number}/{rounds}: {name}", file=sys.stderr)
                seconds[name].append(one_round(project, flag))
    print_table(seconds)


def print_table(seconds: dict[str, list[tuple[float, float]]]) -> None:
    print(f"\n{'install flag':28} {'install s':>10} {'make check s':>13} {'total s':>8}")
    totals = {}
    for name, runs in seconds.items():
        install = statistics.median(run[0] for run in runs)
        check = statistics.median(run[1] for run in runs)
        totals[name] = install + check
        print(f"{name:28} {install:10.1f} {check:13.1f} {totals[name]:8.1f}")
    default, chosen = totals.values()
    print(f"\nmedians of {len(next(iter(seconds.values())))} rounds; total ratio ", end="")
    print(f"--no-compile / default: {chosen / default:.2f}")


if __name__ == "__main__":
    main()
