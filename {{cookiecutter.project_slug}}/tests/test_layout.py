"""The layout's rules (README, Layout): the platform (groundwork/) imports neither
the demo (core/) nor the declarations (config/), so that the demo can go and the
platform's helpers can load while the settings do; the settings import no demo
module, and of the platform only the helpers that read the environment."""

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SETTINGS_HELPERS = {
    "groundwork.environment",
    "groundwork.addons",
    "groundwork.connections",
    "groundwork.broker",
}


def imports(path: Path) -> set[str]:
    """The absolute names `path` imports (relative ones resolved; for `from m
    import n`, "m.n", since n may be a module)."""
    package = ".".join(path.relative_to(PROJECT).parent.parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            # `from groundwork import cache` may import a module: count each name.
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def project_imports(folder: str) -> list[tuple[str, str]]:
    """(file, module) for each import of the project's packages under `folder`."""
    return [
        (str(path.relative_to(PROJECT)), module)
        for path in sorted((PROJECT / folder).rglob("*.py"))
        for module in imports(path)
        if module.split(".")[0] in {"config", "core", "groundwork"}
    ]


def top_two(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_the_platform_imports_neither_the_demo_nor_the_declarations():
    crossing = [
        (path, module)
        for path, module in project_imports("groundwork")
        if not module.startswith("groundwork")
    ]

    assert project_imports("groundwork"), "the platform imports itself"
    assert crossing == []


def test_the_settings_import_no_demo_and_only_the_platforms_helpers():
    crossing = [
        (path, module)
        for path, module in project_imports("config/settings")
        if module.startswith("core")
        or (module.startswith("groundwork") and top_two(module) not in SETTINGS_HELPERS)
    ]

    assert crossing == []
