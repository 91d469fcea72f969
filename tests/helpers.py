"""Helpers for the template's tests: commands, generated projects, polling with a deadline."""

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import AnyStr, TypeVar

import pytest
from cookiecutter.main import cookiecutter

from .paths import TEMPLATE_DIR

# What a copy of the template leaves behind: version control, virtualenvs, the demo.
NOT_THE_TEMPLATE = shutil.ignore_patterns(".git", ".venv", ".cache", "demo", "__pycache__")

T = TypeVar("T")


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Run a command; fail the test with its output if it exits non-zero."""
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"`{' '.join(command)}` exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def copy_template(destination: Path) -> Path:
    """The template's working tree as it stands, uncommitted changes included."""
    shutil.copytree(TEMPLATE_DIR, destination, ignore=NOT_THE_TEMPLATE)
    return destination


def wait_for(what: str, probe: Callable[[], T | None], deadline_seconds: float) -> T:
    """Call `probe` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            found = probe()
        except Exception as error:  # the thing we wait for is not up yet
            last_error = error
        else:
            if found:
                return found
        time.sleep(0.25)
    pytest.fail(f"gave up after {deadline_seconds} s waiting for {what} (last error: {last_error})")


def found_in(pattern: AnyStr, text: AnyStr, flags: int = 0) -> re.Match[AnyStr]:
    """The first match of `pattern` in `text`; an assertion naming both if none."""
    match = re.search(pattern, text, flags)
    assert match is not None, f"{pattern!r} not found in:\n{text[:2000]!r}"
    return match


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def generate_project(output_dir: Path, **answers: str) -> Path:
    """Generate a project without the post-generation checks; return its folder."""
    context = {"post_gen_checks": "none", **answers}
    folder = cookiecutter(
        str(TEMPLATE_DIR), no_input=True, output_dir=str(output_dir), extra_context=context
    )
    return Path(folder)
