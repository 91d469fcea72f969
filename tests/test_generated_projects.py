"""Every supported combination of answers gives a project that is complete, clean,
passes Django's checks (production's included) and its own tests."""

import json
import runpy
import stat
import tomllib
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from .conftest import generate_project
from .helpers import TEMPLATE_DIR, run

# The supported option combinations, as data. Each id says what it covers.
SUPPORTED = [
    pytest.param({}, id="defaults"),
    pytest.param(
        {"celery_broker": "rabbitmq", "python_version": "3.12", "timezone": "Europe/Paris"},
        id="rabbitmq-py312-paris",
    ),
    pytest.param(
        {
            "project_name": 'Café "Zéro" & Co',
            # The longest slug allowed: generated lines must still fit and format.
            "project_slug": "cafe_zero_" + "x" * 20,
            "description": "Quotes \" and ' and a backslash \\ survive",
            "author_name": "Zoë O'Brien",
            "python_version": "3.11",
            "domain_name": "www.cafe-zero.example.org",
        },
        id="awkward-text-redis-py311",
    ),
]


def text_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file() and path.suffix != ".sqlite3"]


@pytest.mark.parametrize("answers", SUPPORTED)
def test_every_file_is_rendered(cookies, answers):
    result = cookies.bake(extra_context=answers)

    assert result.exit_code == 0, result.exception
    leftovers = [
        str(path.relative_to(result.project_path))
        for path in text_files(result.project_path)
        if "cookiecutter" in path.read_text() or "cookiecutter" in str(path)
    ]
    assert leftovers == []
    app = json.loads((result.project_path / "app.json").read_text())
    assert app["name"] == answers.get("project_name", "My Site")
    pyproject = tomllib.loads((result.project_path / "pyproject.toml").read_text())
    assert pyproject["project"]["description"] == answers.get(
        "description", "A Django site, ready for Heroku."
    )
    python_version = (result.project_path / ".python-version").read_text().strip()
    assert python_version == answers.get("python_version", "3.13")


def test_django_templates_reach_the_output_unrendered(cookies):
    home = cookies.bake().project_path / "core" / "templates" / "core" / "home.html"

    assert "{% load static %}" in home.read_text()
    assert "{{ ping.pk }}" in home.read_text()


@pytest.mark.parametrize(
    ("broker", "variable", "addon", "other"),
    [
        ("redis", "REDIS_URL", "heroku-redis", "rabbitmq"),
        ("rabbitmq", "CLOUDAMQP_URL", "cloudamqp", "redis"),
    ],
)
def test_only_the_chosen_broker_is_kept(cookies, broker, variable, addon, other):
    project = cookies.bake(extra_context={"celery_broker": broker}).project_path
    settings = project / "config" / "settings"

    assert variable in (settings / "broker.py").read_text()
    assert list(settings.glob("broker_*.py")) == []
    assert not (project / "tests" / f"test_broker_{other}.py").exists()
    assert (project / "tests" / f"test_broker_{broker}.py").exists()
    assert addon in json.loads((project / "app.json").read_text())["addons"]
    assert ("celery[redis]" in (project / "requirements.txt").read_text()) == (broker == "redis")


def test_env_file_holds_a_fresh_secret_key_that_nothing_else_contains(cookies):
    first, second = cookies.bake().project_path, cookies.bake().project_path

    keys = [read_env(project / ".env")["SECRET_KEY"] for project in (first, second)]

    assert keys[0] != keys[1]
    assert all(len(key) >= 50 for key in keys)
    assert stat.S_IMODE((first / ".env").stat().st_mode) == 0o600
    assert ".env" in (first / ".gitignore").read_text().splitlines()
    others = [path for path in text_files(first) if path.name != ".env"]
    assert not [path for path in others if keys[0] in path.read_text()]


def test_regenerating_over_a_project_keeps_its_env_file(tmp_path):
    first = generate_project(tmp_path)
    (first / ".env").write_text((first / ".env").read_text() + "DEBUG=false\n")
    before = (first / ".env").read_text()

    again = cookiecutter(
        str(TEMPLATE_DIR), no_input=True, output_dir=str(tmp_path), overwrite_if_exists=True
    )

    assert Path(again) == first
    assert (first / ".env").read_text() == before


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs if not name.startswith("#")}


@pytest.mark.parametrize("answers", SUPPORTED)
def test_project_passes_its_quality_gates(cookies, venv_env, answers):
    """Lint, Django's checks (local, and production with zero warnings), and the
    project's own test suite, run in the shared virtualenv."""
    project = cookies.bake(extra_context=answers).project_path
    local_env = {**venv_env, **read_env(project / ".env")}
    # The project's own idea of a realistic production environment.
    production = runpy.run_path(str(project / "tests" / "conftest.py"))["PRODUCTION_ENVIRONMENT"]

    run(["ruff", "check", "."], cwd=project, env=venv_env)
    run(["ruff", "format", "--check", "."], cwd=project, env=venv_env)
    run(["python", "manage.py", "check", "--fail-level", "WARNING"], cwd=project, env=local_env)
    # gunicorn loads its config file and the WSGI app, and exits.
    gunicorn = ["gunicorn", "--check-config", "--config", "gunicorn.conf.py", "config.wsgi"]
    run(gunicorn, cwd=project, env=local_env)
    deploy = run(
        ["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=project,
        env={**venv_env, **production},
    )
    tests = run(["pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=venv_env)

    assert production["DJANGO_SETTINGS_MODULE"] == "config.settings.prod"
    assert "System check identified no issues" in deploy.stdout
    assert " passed" in tests.stdout
    assert "failed" not in tests.stdout
    assert "skipped" not in tests.stdout


def test_full_checks_install_the_project_and_run_its_gates(cookies, capfd):
    result = cookies.bake(extra_context={"post_gen_checks": "full"})

    assert result.exit_code == 0, capfd.readouterr().err
    ran = [line for line in capfd.readouterr().out.splitlines() if "post_gen_checks=full:" in line]
    for gate in ("installing requirements-dev.txt", "ruff check .", "manage.py check", "pytest"):
        assert any(gate in line for line in ran), f"{gate!r} did not run: {ran}"
