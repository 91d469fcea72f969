"""The connection budget: the default formation fits Heroku Postgres Essential-0,
and Django's checks (migrate runs them in the release phase) warn when it no
longer fits."""

import pytest
from django.core.management import call_command

from groundwork.checks import connection_budget

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def budget(load_settings):
    """The budget module as the environment of each test sets it."""
    return lambda **environment: load_settings("connections", **environment)


@pytest.fixture
def on_postgres(settings):
    """The check only concerns PostgreSQL; the tests run on SQLite. (Django warns
    that overriding DATABASES is risky: no connection is made here.)"""
    default = {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}
    settings.DATABASES = {**settings.DATABASES, "default": default}


def test_the_default_formation_fits_essential_0s_20_connections(budget):
    connections = budget()

    assert connections.PLAN_LIMIT == 20
    assert connections.connections_needed() <= connections.usable_connections() == 17


@pytest.mark.usefixtures("on_postgres")
def test_more_web_processes_on_a_bigger_dyno_are_reported(budget, monkeypatch):
    # Heroku raises WEB_CONCURRENCY on bigger dynos; each process brings its pool.
    monkeypatch.setattr("groundwork.checks.connections", budget(WEB_CONCURRENCY="8"))

    (warning,) = connection_budget()

    assert warning.id == "groundwork.W001"
    assert "may hold 38 connections" in warning.msg
    assert "DATABASE_CONNECTION_LIMIT=20 leaves 17" in warning.msg
    assert "DATABASE_POOL_SIZE" in warning.hint and "WEB_CONCURRENCY" in warning.hint


@pytest.mark.usefixtures("on_postgres")
def test_a_plan_with_room_for_them_is_not_reported(budget, monkeypatch):
    roomy = budget(WEB_CONCURRENCY="8", DATABASE_CONNECTION_LIMIT="120")
    monkeypatch.setattr("groundwork.checks.connections", roomy)

    assert connection_budget() == []


@pytest.mark.usefixtures("on_postgres")
def test_manage_py_check_prints_the_warning(budget, monkeypatch, capsys):
    monkeypatch.setattr("groundwork.checks.connections", budget(DATABASE_POOL_SIZE="10"))

    call_command("check")

    assert "groundwork.W001" in capsys.readouterr().err


def budget_command(run_in_project, *formation: str, **environment: str):
    """`manage.py connection_budget`, in a process of its own with these variables."""
    return run_in_project(
        "python", "manage.py", "connection_budget", *formation,
        DJANGO_SETTINGS_MODULE="config.settings.local", **environment,
    )  # fmt: skip


def test_the_default_formation_fits_the_smallest_plan(run_in_project):
    result = budget_command(run_in_project)

    assert result.returncode == 0, result.stderr
    assert "total      14 of 17" in result.stdout
    assert "It fits." in result.stdout


def test_a_bigger_formation_is_told_the_pool_size_that_fits(run_in_project):
    result = budget_command(run_in_project, "--web", "4", "--worker", "3")

    assert result.returncode == 1
    assert "total      46 of 17" in result.stdout
    # 4 x 2 x 1 + 3 x 1 + 2 = 13 of 17; a pool of 2 would need 24.
    assert "set DATABASE_POOL_SIZE=1 (13 of 17)" in result.stderr


def test_a_bigger_plan_is_counted_from_its_limit(run_in_project):
    result = budget_command(
        run_in_project, "--web", "4", "--worker", "3", DATABASE_CONNECTION_LIMIT="120"
    )

    assert result.returncode == 0, result.stderr
    assert "total      46 of 117" in result.stdout


def test_a_formation_no_pool_size_saves_names_the_plan_it_needs(run_in_project):
    result = budget_command(run_in_project, "--web", "10", "--worker", "10")

    assert result.returncode == 1
    # 10 x 2 x 1 + 10 x 1 + 2 = 32 connections, plus 3 for superusers.
    assert "needs a plan allowing at least 35 connections" in result.stderr
