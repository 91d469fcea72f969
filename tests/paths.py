"""Where the template's parts are."""

from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
PROJECT_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
CACHE_DIR = TEMPLATE_DIR / ".cache"
