"""Where the template's parts and tools are."""

import sys
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
CACHE_DIR = TEMPLATE_DIR / ".cache"
# The template's tools (requirements-dev.txt), installed beside the Python that runs
# the tests: cookiecutter, cruft, uv, honcho, the CI-file validators.
TOOLS = Path(sys.executable).parent


def tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run this with the template's tooling (make test)"
        )
    return str(path)
