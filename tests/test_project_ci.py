"""The generated project's CI: for every broker, its files read as GitHub,
Dependabot, pre-commit and Heroku CI read them; and the workflow's steps run here,
with real servers standing in for its service containers."""

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from . import servers
from .helpers import generate_project, run
from .paths import tool
from .template import BROKERS, NON_DEFAULT_ANSWERS

WORKFLOW = Path(".github/workflows/ci.yml")
DEPENDABOT = Path(".github/dependabot.yml")
# What the workflow's install step installs, and the project_venv fixture holds.
INSTALL = "pip install -r requirements-dev.txt"
# The step that pins again and fails on a difference; it asks PyPI, so it runs on
# GitHub's runner only (the tests send nothing beyond loopback).
REPIN = "make requirements && git diff --exit-code -- requirements.txt requirements-dev.txt"
# An action pinned as Dependabot keeps it up to date: a full commit, then its version.
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"  # v\d+(\.\d+)*$")

# A server of tests/servers.py for each service container the workflow may declare.
LOCAL_SERVERS: dict[str, Callable[[], AbstractContextManager[servers.Server]]] = {
    "postgres": lambda: servers.postgres(tls=False),
    "redis": lambda: servers.redis(tls=False),
    "rabbitmq": servers.rabbitmq,
}


# The project per broker: the defaults (redis), and every other answer (rabbitmq).
ANSWERS = {"redis": {}, "rabbitmq": NON_DEFAULT_ANSWERS}


@pytest.fixture(params=list(BROKERS))
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return generate_project(tmp_path, **{**ANSWERS[request.param], "celery_broker": request.param})


def only_job(project: Path) -> dict:
    jobs = yaml.safe_load((project / WORKFLOW).read_text())["jobs"]
    assert len(jobs) == 1, f"expected one job, found {list(jobs)}"
    return next(iter(jobs.values()))


def published_ports(job: dict) -> dict[int, str]:
    """The port on the runner of each service container, and the service's name."""
    ports = {}
    for name, service in job["services"].items():
        for mapping in service["ports"]:
            host_port, _, _ = str(mapping).partition(":")
            ports[int(host_port)] = name
    return ports


def service_urls(step: dict) -> dict[str, str]:
    """The step's variables that hold a URL to a server."""
    return {name: value for name, value in step.get("env", {}).items() if "://" in value}


def test_github_and_dependabot_accept_their_files(project):
    for schema, path in (("vendor.github-workflows", WORKFLOW), ("vendor.dependabot", DEPENDABOT)):
        run([tool("check-jsonschema"), "--builtin-schema", schema, str(path)], cwd=project)


def test_zizmor_finds_nothing_to_fix_in_the_workflow_or_dependabots_file(project):
    # Offline: the audits that would ask GitHub's API (e.g. whether a pinned
    # commit belongs to its action) cannot run here.
    audited = run([tool("zizmor"), "--offline", "."], cwd=project)

    assert "No findings to report" in audited.stdout
    # zizmor skips, with a mere warning, a file it cannot read as what it should be.
    for audited_file in (WORKFLOW, DEPENDABOT):
        assert f"completed ./{audited_file}" in audited.stderr, f"zizmor skipped {audited_file}"


def test_a_push_to_a_pull_requests_branch_runs_the_checks_once(project):
    # PyYAML reads the key `on` as True (YAML 1.1's boolean).
    triggers = yaml.safe_load((project / WORKFLOW).read_text())[True]

    assert triggers == {"push": {"branches": ["main"]}, "pull_request": None}


def test_every_action_is_pinned_to_a_commit_with_its_version_beside_it(project):
    lines = (project / WORKFLOW).read_text().splitlines()
    actions = [step["uses"] for step in only_job(project)["steps"] if "uses" in step]

    assert actions
    for action in actions:
        assert PINNED_ACTION.match(action), f"{action} is not pinned to a commit"
        (line,) = [line for line in lines if f"uses: {action}" in line]
        assert VERSION_COMMENT.search(line), f"{line.strip()!r} does not name its version"


def test_the_make_check_urls_point_at_healthy_service_containers(project):
    """A URL to a port no service publishes fails in CI only; a service without a
    health check lets the job start before it accepts connections."""
    job = only_job(project)
    ports = published_ports(job)
    urls = {name: url for step in job["steps"] for name, url in service_urls(step).items()}

    assert set(urls) == {"DATABASE_URL", "CELERY_BROKER_URL"}
    assert {urlsplit(url).port for url in urls.values()} == set(ports)
    for name, service in job["services"].items():
        assert "--health-cmd" in service.get("options", ""), f"{name} has no health check"


def test_pre_commit_accepts_its_configuration(project):
    run([tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"], cwd=project)


@pytest.mark.venv
def test_pre_commit_refuses_a_commit_that_make_lint_would_fail(
    project, tmp_path, git_env, project_venv
):
    """Installed as the README says, with no virtualenv activated (ruff on no PATH,
    the project's .venv made by `make install`) and no network: the project's own
    files pass, a file with an unused import does not."""
    (project / ".venv").symlink_to(project_venv)
    env = {**git_env, "PATH": "/usr/bin:/bin", "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    env.pop("VIRTUAL_ENV", None)
    assert shutil.which("ruff", path=env["PATH"]) is None, "ruff must come from .venv"
    for command in (["git", "init", "-q"], [tool("pre-commit"), "install"], ["git", "add", "."]):
        run(command, cwd=project, env=env)
    run(["git", "commit", "-q", "-m", "Start"], cwd=project, env=env)

    (project / "core" / "careless.py").write_text("import os\n")
    run(["git", "add", "core/careless.py"], cwd=project, env=env)
    refused = subprocess.run(
        ["git", "commit", "-q", "-m", "Careless"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "core/careless.py" in said
    assert "F401" in said, said


def test_heroku_ci_runs_the_checks_on_in_dyno_add_ons(project):
    """app.json's environments.test, in the shape Heroku CI's documentation gives
    (no schema is published): the scripts are commands, the add-ons are plans, and
    env holds plain strings."""
    app = json.loads((project / "app.json").read_text())
    test = app["environments"]["test"]
    services = {plan.partition(":")[0] for plan in test["addons"]}

    assert test["scripts"] == {"test-setup": INSTALL, "test": "python scripts/check.py"}
    assert all(plan.endswith(":in-dyno") for plan in test["addons"]), test["addons"]
    assert "heroku-postgresql" in services
    assert services <= set(app["addons"]), "CI would test a service production lacks"
    assert all(isinstance(value, str) for value in test["env"].values())
    # The app's own env says production; pytest would take that over pyproject.toml's.
    assert test["env"]["DJANGO_SETTINGS_MODULE"] == "config.settings.test"


@pytest.mark.venv
def test_the_checks_need_only_python(tmp_path, project_venv):
    """What Heroku CI runs, on a run image with no make: the virtualenv's Python
    alone, nothing activated, nothing of it on PATH."""
    project = generate_project(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    python = str(project_venv / "bin" / "python")

    checked = run([python, "scripts/check.py", "lint", "django-checks"], project, env)
    refused = subprocess.run(
        [python, "scripts/check.py", "typo"], cwd=project, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip

    assert "$ manage.py check --deploy" in checked.stdout
    assert refused.returncode == 2
    assert "no gate named typo; gates: lint, django-checks, test" in refused.stdout


@pytest.mark.venv
@pytest.mark.servers
def test_the_workflow_steps_pass_here_against_real_servers(tmp_path, venv_env):
    """Every `run:` step in order, in the project with the default answers, with
    the step's env pointed at a real server for each service container
    (tests/servers.py). The install step is skipped: the project_venv fixture is the
    same requirements-dev.txt, installed. Once, not per broker: the steps are the
    same `make check`, the other answers' project runs it in the post_gen_checks=full
    test, and the workers' round trip through real RabbitMQ is tests/test_faults.py's
    and tests/test_heroku_like.py's."""
    project = generate_project(tmp_path)
    job = only_job(project)
    ports = published_ports(job)
    steps = [step for step in job["steps"] if "run" in step]
    installs = [step for step in steps if INSTALL in step["run"]]
    with ExitStack() as stack:
        local = {name: stack.enter_context(LOCAL_SERVERS[name]()) for name in job["services"]}
        outputs = [
            run_step(step, project, venv_env, ports, local)
            for step in steps
            if step not in installs and step["run"] != REPIN
        ]

    assert len(installs) == 1
    checked = outputs[-1]
    database, broker = local["postgres"], local[project_broker(project)]
    assert f"database: postgresql at {servers.HOST}:{database.port}" in checked
    assert re.search(rf"broker: \w+ at {servers.HOST}:{broker.port}", checked)
    assert re.search(r"\d+ passed", checked)
    assert "failed" not in checked
    assert "skipped" not in checked


def run_step(
    step: dict, project: Path, env: dict[str, str], ports: dict[int, str], local: dict
) -> str:
    """Run one `run:` step as GitHub's bash does; return what it printed."""
    step_env = {**env, **step.get("env", {})}
    for name, url in service_urls(step).items():
        port = urlsplit(url).port
        assert port is not None, f"{name}={url} names no port"
        step_env[name] = only_url(local[ports[port]])
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    result = run(command, cwd=project, env=step_env, timeout=900)
    return result.stdout + result.stderr


def only_url(server: servers.Server) -> str:
    (url,) = server.env.values()
    return url


def project_broker(project: Path) -> str:
    """The broker the project was generated with: the service that is not PostgreSQL."""
    (broker,) = set(only_job(project)["services"]) - {"postgres"}
    return broker


def test_ci_fails_when_pinning_again_would_change_the_pins(project):
    """Before the checks: the pin files are exactly what `make requirements` makes
    of the .in files, the step's diff limited to them."""
    steps = [step.get("run", "") for step in only_job(project)["steps"]]

    assert REPIN in steps
    assert steps.index(REPIN) < steps.index("make check")
    assert steps.index(REPIN) > next(i for i, run in enumerate(steps) if INSTALL in run)
