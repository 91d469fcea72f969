"""Re-pin the generated projects' requirements, one set per broker.

Each broker's project pins different packages (celery's redis extra, or not), so
the template keeps one requirements.txt and requirements-dev.txt per broker in
{{cookiecutter.project_slug}}/pins/<broker>/; the post-generation hook moves the
chosen broker's into the project. This script generates a project per broker,
runs the project's own `make requirements` (or `make upgrade`) there, with this
virtualenv's uv, and copies the result back.

    make pins            # after editing requirements.in or requirements-dev.in
    make pins UPGRADE=1  # everything to the newest release the .in files allow
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TEMPLATE_DIR))

from tests.helpers import generate_project, run  # noqa: E402
from tests.paths import PROJECT_TEMPLATE, TOOLS  # noqa: E402
from tests.template import BROKERS  # noqa: E402

PINNED_FILES = ("requirements.txt", "requirements-dev.txt")


def repin(broker: str, target: str, scratch: Path) -> None:
    project = generate_project(scratch, celery_broker=broker)
    env = {**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ['PATH']}"}  # uv is one
    run(["make", target], cwd=project, env=env)
    pins = PROJECT_TEMPLATE / BROKERS[broker]["pins"]
    for name in PINNED_FILES:
        shutil.copyfile(project / name, pins / name)
    print(f"{broker}: {pins.relative_to(TEMPLATE_DIR)}/ re-pinned (make {target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="newest releases allowed")
    target = "upgrade" if parser.parse_args().upgrade else "requirements"
    for broker in BROKERS:
        with tempfile.TemporaryDirectory() as scratch:
            repin(broker, target, Path(scratch))


if __name__ == "__main__":
    main()
