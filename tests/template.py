"""What the template itself says, read as it stands: its options (cookiecutter.json),
the brokers table, and the hooks, imported as modules so that their functions can
be called directly."""

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from .paths import TEMPLATE_DIR

OPTIONS: dict = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
# What each broker brings: settings module, requirement, add-on, variables, tests.
BROKERS: dict[str, dict] = OPTIONS["_brokers"]
# Every choice not its default, and named like a module the project imports (the
# name is only the folder's): the project whose `make check` the post_gen_checks=full
# test runs, beside the defaults' in the CI-workflow test.
NON_DEFAULT_ANSWERS = {
    "project_name": "packaging",
    "celery_broker": "rabbitmq",
    "python_version": "3.12",
    "timezone": "Europe/Paris",
}


def import_hook(name: str) -> ModuleType:
    """hooks/<name>.py as a module. Unrendered, its Jinja sits in strings that only
    main() reads, so everything else can be imported and called."""
    path = TEMPLATE_DIR / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"hooks_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = import_hook("pre_gen_project")
post_gen = import_hook("post_gen_project")


def procfile(project: Path) -> dict[str, str]:
    """The Procfile's process types and their commands, read as the hook reads them."""
    return post_gen.read_procfile(project)
