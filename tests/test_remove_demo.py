"""The demo goes in one documented step (the generated README: `make remove-demo`),
and what stays is a working project: its `make check` passes, and released on real
servers its web process serves /health/ green, which needs a heartbeat the scheduler
sent and a worker recorded: the platform's jobs still run."""

import os
from pathlib import Path

import pytest

from . import heroku, servers
from .helpers import generate_project, run, wait_for

pytestmark = [pytest.mark.venv, pytest.mark.servers]


def test_without_the_demo_the_project_checks_serves_and_runs_its_jobs(
    tmp_path: Path, project_venv: Path, production_venv: Path
) -> None:
    project = generate_project(tmp_path)
    readme = (project / "README.md").read_text()
    assert "make remove-demo" in readme, "the README documents the step"

    run(["make", "remove-demo"], project)
    env = {
        "PATH": f"{project_venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    checked = run(["make", "check"], project, env)
    with servers.postgres(tls=True) as database, servers.redis(tls=False) as broker:
        heroku.build(project, production_venv)
        config = heroku.heroku_config(
            database, broker, HEARTBEAT_SECONDS="1", HEALTH_CHECK_INTERVAL="0"
        )
        with heroku.running_formation(project, production_venv, config, tmp_path) as web:
            wait_for(
                "/health/ to be green", lambda: heroku.request(web.url, "/health/")[0] == 200, 60
            )
            home_page = heroku.request(web.url, "/")[0]

    assert not (project / "core").exists()
    assert " passed" in checked.stdout
    assert home_page == 404, "the demo's home page went with it"
