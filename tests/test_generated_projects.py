"""Every supported combination of answers gives a project that is complete, clean,
passes Django's checks (production's included) and its own tests."""

import ast
import json
import os
import re
import stat
import tomllib
from pathlib import Path

import pytest
from cookiecutter.generate import generate_context, generate_files
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

from .helpers import generate_project, run
from .paths import PROJECT_TEMPLATE, TEMPLATE_DIR, tool
from .template import BROKERS, NON_DEFAULT_ANSWERS, OPTIONS, post_gen, pre_gen

# Letters beyond U+FFFF (mathematical Fraktur "Math"): JSON writes them as surrogate pairs.
FRAKTUR_MATH = "\U0001d510\U0001d51e\U0001d531\U0001d525"

# A template variable left in the output: cookiecutter.name, cookiecutter["name"] or
# cookiecutter | filter. (The word alone is fine: the README and the recorded answers
# name the tool.)
TEMPLATE_VARIABLE = re.compile(r"cookiecutter\s*[.\[|]")

# The supported option combinations, as data. Each id says what it covers.
SUPPORTED = [
    pytest.param({}, id="defaults"),
    pytest.param(NON_DEFAULT_ANSWERS, id="packaging-rabbitmq-py312-paris"),
    pytest.param(
        {
            "project_name": 'Café "Zéro" & Co 🚀',
            "description": f"Quotes \" and ' and a backslash \\ survive, and {FRAKTUR_MATH} too",
            "author_name": "Zoë O'Brien",
            "python_version": "3.11",
            "domain_name": "www.cafe-zero.example.org",
        },
        id="awkward-text-redis-py311",
    ),
]
# Names people give their projects, and the folder each should get.
ODD_NAMES = [
    ("Bob's Blog", "bob_s_blog"),
    ("2048 Game", "2048_game"),
    ("Café Zéro", "cafe_zero"),
    ("Straße & Söhne", "strasse_sohne"),
    ("Москва", "moskva"),
    ("我的网站", "wo_de_wang_zhan"),
    ('"Quoted" (beta)', "quoted_beta"),
    ("🚀 Rocket", "rocket"),
    ("🚀", "site"),
    (f"{FRAKTUR_MATH} Club", "math_club"),
    ("dateutil", "dateutil"),
    ("typing_extensions", "typing_extensions"),
    ("class", "class"),
    ("A" * 80, "a" * 60),
]


def text_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file() and path.suffix != ".sqlite3"]


@pytest.mark.parametrize(("name", "slug"), ODD_NAMES, ids=[slug for _, slug in ODD_NAMES])
def test_any_project_name_gives_a_project_with_the_default_answers(cookies, name, slug):
    """The fast post-generation checks run: every .py compiles, every JSON and
    TOML file parses."""
    description = f"All about {name}: \\ \" '"
    result = cookies.bake(extra_context={"project_name": name, "description": description})

    assert result.exit_code == 0, result.exception
    assert result.project_path.name == slug
    app = json.loads((result.project_path / "app.json").read_text())
    project = tomllib.loads((result.project_path / "pyproject.toml").read_text())["project"]
    assert (app["name"], project["name"], project["description"]) == (name, slug, description)
    readme = (result.project_path / "README.md").read_text().splitlines()
    assert readme[:3] == [f"# {name}", "", description]


def test_the_project_template_is_plain_python():
    """Every .py file parses as it stands, and only config/answers.py holds markers."""
    python_files = sorted(PROJECT_TEMPLATE.rglob("*.py"))
    with_markers = [
        str(path.relative_to(PROJECT_TEMPLATE))
        for path in python_files
        if re.search(r"\{[{%]", path.read_text())
    ]
    assert len(python_files) > 40
    assert post_gen.find_python_syntax_errors(PROJECT_TEMPLATE) == []
    assert with_markers == ["config/answers.py"]


def test_every_choice_is_a_menu_and_every_broker_is_in_the_table():
    assert OPTIONS["celery_broker"] == list(BROKERS)
    for name in ("python_version", "celery_broker", "post_gen_checks"):
        assert isinstance(OPTIONS[name], list), f"{name} is not a choice variable"
    assert pre_gen.validators(OPTIONS)["celery_broker"]("kafka")


@pytest.mark.parametrize("answers", SUPPORTED)
def test_every_file_is_rendered(cookies, answers):
    result = cookies.bake(extra_context=answers)

    assert result.exit_code == 0, result.exception
    leftovers = [
        str(path.relative_to(result.project_path))
        for path in text_files(result.project_path)
        if TEMPLATE_VARIABLE.search(path.read_text()) or "cookiecutter" in str(path)
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


def module_constant(path: Path, name: str) -> object:
    """The value of a top-level constant of a Python file, read without importing it."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} defines no {name}")


@pytest.mark.parametrize("broker", list(BROKERS))
def test_only_the_chosen_broker_is_kept_with_what_its_table_row_says(cookies, broker):
    row = BROKERS[broker]
    project = cookies.bake(extra_context={"celery_broker": broker}).project_path
    settings = project / "groundwork"
    others = [test for name, other in BROKERS.items() if name != broker for test in other["tests"]]

    assert list(module_constant(settings / "broker.py", "BROKER_VARIABLES")) == row["variables"]
    assert list(settings.glob("broker_*.py")) == []
    assert [test for test in others if (project / test).exists()] == []
    assert all((project / test).exists() for test in row["tests"])
    assert row["addon"] in json.loads((project / "app.json").read_text())["addons"]
    assert f"\ncelery{row['celery_extras']}\n" in (project / "requirements.in").read_text()
    pinned = PROJECT_TEMPLATE / row["pins"]
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert (project / name).read_text() == (pinned / name).read_text()
    assert not (project / "pins").exists()
    assert f"# {row['variables'][1]}={row['local_url']}" in (project / ".env.example").read_text()
    assert f"heroku addons:create {row['addon']}" in (project / "README.md").read_text()


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


def project_contents(project: Path) -> dict[str, bytes]:
    """Every file of a project but its .env (whose SECRET_KEY is new each time)."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and path.name != ".env"
    }


def test_the_recorded_answers_replay_into_the_same_project(tmp_path):
    answers = {"project_name": 'Café "Zéro"', "celery_broker": "rabbitmq", "timezone": "Asia/Tokyo"}
    first = generate_project(tmp_path / "first", **answers)
    answers_file = first / post_gen.ANSWERS_FILE
    cookiecutter = tool("cookiecutter")
    home = tmp_path / "home"  # cookiecutter saves each run's answers in ~/.cookiecutter_replay

    run([cookiecutter, "--replay-file", str(answers_file), "--output-dir",
         str(tmp_path / "again"), str(TEMPLATE_DIR)],
        cwd=tmp_path, env={**os.environ, "HOME": str(home)})  # fmt: skip

    assert project_contents(tmp_path / "again" / first.name) == project_contents(first)
    recorded = json.loads(answers_file.read_text())["cookiecutter"]
    assert [name for name in recorded if name.startswith("_")] == []


def test_full_checks_are_recorded_as_fast_ones():
    """Each `cruft update` renders the project twice: not two virtualenvs and two
    runs of `make check`, only the checks that take a moment."""
    recorded = post_gen.recorded_answers({"project_name": "My Site", "post_gen_checks": "full"})

    assert recorded == {"cookiecutter": {"project_name": "My Site", "post_gen_checks": "fast"}}


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {name: value for name, value in pairs if not name.startswith("#")}


@pytest.mark.venv
def test_full_checks_install_the_project_and_run_its_gates(
    cookies, capfd, offline_pip, monkeypatch
):
    """With the answers that are not the defaults: the defaults' project runs its
    `make check` in the CI-workflow test (tests/test_project_ci.py)."""
    for name, value in offline_pip.items():  # the files pip would fetch, from the wheelhouse
        monkeypatch.setenv(name, value)
    result = cookies.bake(extra_context={**NON_DEFAULT_ANSWERS, "post_gen_checks": "full"})

    assert result.exit_code == 0, capfd.readouterr().err
    ran = [line for line in capfd.readouterr().out.splitlines() if "post_gen_checks=full:" in line]
    assert [line.partition(": ")[2] for line in ran] == [
        "installing requirements-dev.txt into a throwaway virtualenv",
        "make check",
    ]


# A fault-table row's test: "here: test_x.py::name" (the project's own tests) or
# "test_x.py::name" (the template's), with the parameters of a parametrized test.
NAMED_TEST = re.compile(r"`(?P<file>test_\w+\.py)::(?P<name>test_\w+)(?:\[(?P<ids>[^\]]*)\])?`")


def fault_rows(readme: str) -> list[str]:
    section = readme.split("## When things fail", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and "---" not in line][
        1:
    ]


def test_every_fault_table_row_names_a_test_that_exists(tmp_path):
    """The generated README's fault table is the fault matrix: each row names the
    test that proves it, in the template's tests or (marked "here") the project's."""
    project = generate_project(tmp_path)
    rows = fault_rows((project / "README.md").read_text())
    missing = []
    for row in rows:
        named = NAMED_TEST.search(row)
        if named is None:
            missing.append(f"no test named: {row[:60]}")
            continue
        folder = project / "tests" if "here:" in row else TEMPLATE_DIR / "tests"
        test_file = folder / named["file"]
        source = test_file.read_text() if test_file.exists() else ""
        if f"def {named['name']}(" not in source:
            missing.append(f"{named['file']}::{named['name']} does not exist")
        for word in (named["ids"] or "").replace("*", "").split("-"):
            if word and f'"{word}"' not in source:
                missing.append(f"{named['file']} has no parameter {word!r}")

    assert len(rows) >= 20
    assert missing == []


def test_make_help_lists_every_target_with_a_line_each(tmp_path):
    project = generate_project(tmp_path)
    phony = re.search(r"^\.PHONY: (.+)$", (project / "Makefile").read_text(), re.MULTILINE)
    assert phony is not None

    listed = run(["make", "--no-print-directory", "help"], project).stdout.splitlines()

    assert [line.split()[1] for line in listed] == phony.group(1).split()
    assert all(len(line.split(maxsplit=2)) == 3 for line in listed), listed


def test_a_generation_ends_with_the_next_three_commands(tmp_path):
    shown = run(
        [tool("cookiecutter"), "--no-input", "--output-dir", str(tmp_path), str(TEMPLATE_DIR),
         "project_name=Next Steps", "post_gen_checks=none"],
        tmp_path, {**os.environ, "HOME": str(tmp_path)},
    ).stdout  # fmt: skip

    assert "Generated next_steps/. Next, to run it on this machine:" in shown
    assert shown.splitlines()[-3:] == ["  cd next_steps", "  make install", "  make run"]


# The readers through which the project's code takes a variable from the environment:
# the platform's (groundwork/environment.py) and os.environ.get.
ENV_READERS = {
    "env_str", "env_bool", "env_int", "env_seconds", "env_list", "env_path", "environ.get"
}  # fmt: skip
# Read by name, but not in a call: the add-ons' tables (names tried in order).
NAME_TABLES = ("MEMCACHED_ADDONS", "BROKER_VARIABLES")
# Read by others: Django (DJANGO_SETTINGS_MODULE), sentry-sdk (SENTRY_ENVIRONMENT).
READ_ELSEWHERE = {"DJANGO_SETTINGS_MODULE", "SENTRY_ENVIRONMENT"}
# Not the running project's: scripts/ holds the install's preflight (CC).
NOT_SCANNED = ("tests", "migrations", "scripts")
VARIABLE_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")


def reader_name(called: ast.expr) -> str:
    """env_str for env_str(...), environ.get for os.environ.get(...)."""
    if isinstance(called, ast.Name):
        return called.id
    if isinstance(called, ast.Attribute):
        owner = called.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return f"{owner_name}.{called.attr}"
    return ""


def names_in_tables(node: ast.AST) -> set[str]:
    """The strings of an assignment to one of NAME_TABLES."""
    if not isinstance(node, ast.Assign):
        return set()
    if not any(
        isinstance(target, ast.Name) and target.id in NAME_TABLES for target in node.targets
    ):
        return set()
    return {str(leaf.value) for leaf in ast.walk(node.value) if isinstance(leaf, ast.Constant)}


def variables_read(project: Path) -> set[str]:
    """Every environment variable the running project's Python reads by name."""
    found: set[str] = set()
    for path in project.rglob("*.py"):
        if any(part in NOT_SCANNED for part in path.relative_to(project).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            found |= names_in_tables(node)
            if isinstance(node, ast.Call) and node.args:
                first = node.args[0]
                if reader_name(node.func) in ENV_READERS and isinstance(first, ast.Constant):
                    found.add(str(first.value))
    return {name for name in found if VARIABLE_NAME.match(name)}


def variables_documented(readme: str) -> set[str]:
    """The variables of the README's table: `A_SERVERS`, `_USERNAME` means A_USERNAME."""
    section = readme.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    found = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        names = re.findall(r"`([A-Z_][A-Z0-9_]*)`", line.split("|")[1])
        prefix = names[0].rsplit("_", 1)[0]
        found |= {prefix + name if name.startswith("_") else name for name in names}
    return found


@pytest.mark.parametrize("broker", list(BROKERS))
def test_the_readmes_variable_table_names_every_variable_the_code_reads(tmp_path, broker):
    project = generate_project(tmp_path, celery_broker=broker)

    documented = variables_documented((project / "README.md").read_text())
    read = variables_read(project) | READ_ELSEWHERE

    assert read - documented == set(), "read but not in the README's table"
    assert documented - read == set(), "in the README's table but read nowhere"


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("gh:acme/django-skel", "https://github.com/acme/django-skel.git"),
        ("https://git.example.com/acme/skel.git", "https://git.example.com/acme/skel.git"),
        ("/home/me/django-skel", "https://github.com/<org>/django-skel.git"),
    ],
)
def test_the_readmes_update_command_names_the_template_it_came_from(tmp_path, source, url):
    """cruft needs the template's URL: generated from GitHub (`gh:`) or a URL, the
    README names it; from a folder, it cannot know, and says where to put it."""
    context = generate_context(
        str(TEMPLATE_DIR / "cookiecutter.json"), extra_context={"post_gen_checks": "none"}
    )
    answers = prompt_for_config(context, no_input=True)
    answers["_template"] = source
    project = generate_files(
        repo_dir=str(TEMPLATE_DIR), context={"cookiecutter": answers}, output_dir=str(tmp_path)
    )

    readme = (Path(project) / "README.md").read_text()
    assert f"\n    {url}\n" in readme
