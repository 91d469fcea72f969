"""Each environment reads what it should from the environment, and nothing else."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ImproperlyConfigured

from groundwork.startup import production_problems

PACKAGE = "config"


def test_local_runs_on_embedded_defaults(load_settings):
    local = load_settings("local", SECRET_KEY="local-key")

    assert local.DEBUG is True
    assert local.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert local.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert local.CELERY_BROKER_URL == "filesystem://localhost/"
    assert local.CELERY_BROKER_TRANSPORT.endswith("local_broker:Transport")


def test_database_url_configures_postgres_with_tls_in_production(load_settings):
    prod = load_settings("prod", DATABASE_URL="postgres://u:p@db.example.com:5432/site")

    database = prod.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["HOST"] == "db.example.com"
    assert database["OPTIONS"]["sslmode"] == "require"
    assert database["OPTIONS"]["connect_timeout"] > 0


def test_each_process_pools_its_postgres_connections_as_the_environment_says(load_settings):
    prod = load_settings(
        "prod",
        DATABASE_URL="postgres://u:p@db.example.com:5432/site",
        DATABASE_POOL_SIZE="6",
        DATABASE_POOL_TIMEOUT="0.5",
    )

    database = prod.DATABASES["default"]
    assert (database["OPTIONS"]["pool"]["max_size"], database["OPTIONS"]["pool"]["timeout"]) == (
        6,
        0.5,
    )
    assert database["CONN_MAX_AGE"] == 0, "Django refuses a pool with persistent connections"
    assert prod.CELERY_WORKER_CONCURRENCY == 6, "a Celery thread per pooled connection"


def test_sqlite_has_no_pool(load_settings):
    local = load_settings("local", SECRET_KEY="local-key")

    assert "pool" not in local.DATABASES["default"].get("OPTIONS", {})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_POOL_SIZE", "0", "DATABASE_POOL_SIZE='0' must be at least 1"),
        (
            "DATABASE_POOL_TIMEOUT",
            "soon",
            "DATABASE_POOL_TIMEOUT='soon' is not a number of seconds",
        ),
        ("CACHE_CALL_TIMEOUT", "-1", "CACHE_CALL_TIMEOUT='-1' is not a number of seconds"),
    ],
)
def test_a_bad_capacity_value_names_the_variable(load_settings, variable, value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(
            "prod",
            DATABASE_URL="postgres://u:p@db.example.com/site",
            MEMCACHE_SERVERS="127.0.0.1:11211",
            **{variable: value},
        )


def test_memcachier_credentials_configure_pylibmc_with_sasl(load_settings):
    base = load_settings(
        "base",
        MEMCACHIER_SERVERS="mc1.example.com:11211, mc2.example.com:11211",
        MEMCACHIER_USERNAME="user",
        MEMCACHIER_PASSWORD="secret",
    )

    cache = base.CACHES["default"]
    assert cache["BACKEND"] == "groundwork.cache.SharedPyLibMCCache"
    assert cache["LOCATION"] == ["mc1.example.com:11211", "mc2.example.com:11211"]
    assert cache["OPTIONS"]["binary"] is True
    assert (cache["OPTIONS"]["username"], cache["OPTIONS"]["password"]) == ("user", "secret")


def test_a_hung_memcached_costs_each_process_one_bounded_call_per_period(load_settings):
    base = load_settings(
        "base", MEMCACHE_SERVERS="127.0.0.1:11211", CACHE_CALL_TIMEOUT="0.05", CACHE_RETRY_AFTER="2"
    )

    options = base.CACHES["default"]["OPTIONS"]
    assert options["behaviors"]["_poll_timeout"] == 50  # milliseconds
    assert options["retry_after"] == 2
    assert options["behaviors"]["dead_timeout"] == 2, "libmemcached must retry when we do"


def test_plain_memcache_servers_are_the_fallback(load_settings):
    base = load_settings("base", MEMCACHE_SERVERS="127.0.0.1:11211")

    cache = base.CACHES["default"]
    assert cache["LOCATION"] == ["127.0.0.1:11211"]
    assert "username" not in cache["OPTIONS"]


def test_celery_broker_url_wins_over_the_addon_variable(load_settings):
    # Every add-on's variable, so that this holds whichever broker module was kept.
    base = load_settings(
        "base",
        CELERY_BROKER_URL="memory://",
        REDIS_URL="redis://x:6379",
        CLOUDAMQP_URL="amqp://u:p@x//",
        RABBITMQ_URL="amqp://u:p@y//",
    )

    assert base.CELERY_BROKER_URL == "memory://"


def test_a_malformed_boolean_names_the_variable(load_settings):
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe' is not a boolean"):
        load_settings("local", DEBUG="maybe")


def test_prod_settings_import_without_any_configuration(load_settings):
    """A build may run collectstatic before the app's config vars are set."""
    prod = load_settings("prod")

    assert prod.DEBUG is False
    assert prod.DATABASES["default"] == {}


def test_collectstatic_succeeds_with_prod_settings_and_no_secrets(
    run_in_project, production_environment
):
    settings_module = production_environment["DJANGO_SETTINGS_MODULE"]
    result = run_in_project(
        "python", "manage.py", "collectstatic", "--noinput", "--dry-run",
        DJANGO_SETTINGS_MODULE=settings_module,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "static files copied" in result.stdout


def test_deploy_check_reports_nothing_in_a_production_environment(
    run_in_project, production_environment
):
    result = run_in_project(
        "python", "manage.py", "check", "--deploy", "--fail-level", "WARNING",
        **production_environment,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


# Each unsafe value, and the problem production names for it.
UNSAFE_VALUES = [
    pytest.param({"SECRET_KEY": ""}, "SECRET_KEY is not set", id="no-secret-key"),
    pytest.param({"SECRET_KEY": "short"}, "SECRET_KEY is too weak", id="weak-secret-key"),
    pytest.param({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is not set", id="no-allowed-hosts"),
    pytest.param({"DEBUG": "true"}, "DEBUG is on", id="debug-on"),
    pytest.param({"DATABASE_URL": ""}, "DATABASE_URL is not set", id="no-database"),
    pytest.param({"CELERY_BROKER_URL": ""}, "No Celery broker: set", id="no-broker"),
    pytest.param({"CODE_RELOAD": "on"}, "CODE_RELOAD is on", id="code-reload"),
]


def test_a_safe_production_environment_has_no_problem(load_settings, production_environment):
    assert production_problems(load_settings("prod", **production_environment)) == []


@pytest.mark.parametrize(("change", "named"), UNSAFE_VALUES)
def test_each_unsafe_value_is_named_and_nothing_else(
    load_settings, production_environment, change, named
):
    prod = load_settings("prod", **{**production_environment, **change})

    problems = production_problems(prod)

    assert len(problems) == 1, problems
    assert problems[0].startswith(named)


# The Procfile's processes: each loads the settings and checks them as it starts.
PROCESSES = {
    "release": ["python", "manage.py", "release"],
    "web": ["gunicorn", "--config", "gunicorn.conf.py", f"{PACKAGE}.wsgi"],
    "scheduler": ["celery", "--app", PACKAGE, "beat"],
    "worker": ["celery", "--app", PACKAGE, "worker", "--pool", "solo"],
}


def test_every_process_refuses_to_start_unsafely_and_names_every_problem(
    run_in_project, production_environment, unused_port
):
    # Every unsafe value at once; of the two for SECRET_KEY, the weak one.
    at_once = [param for param in UNSAFE_VALUES if param.id != "no-secret-key"]
    unsafe = {name: value for param in at_once for name, value in param.values[0].items()}
    # One gunicorn worker: each would load the app and refuse the same way.
    environment = {
        **production_environment, **unsafe, "PORT": str(unused_port), "WEB_CONCURRENCY": "1"
    }  # fmt: skip

    # All at once: their start-ups are most of this test's time.
    with ThreadPoolExecutor() as starting:
        started = {
            name: starting.submit(run_in_project, *command, **environment)
            for name, command in PROCESSES.items()
        }
    # gunicorn must stop, not restart its worker forever (run_in_project would time
    # out): an exception while loading the app makes it halt.
    assert "Worker failed to boot" in started["web"].result().stderr
    for name, running in started.items():
        process = running.result()
        # Heroku logs both streams; beat sends what it prints through its logger.
        output = process.stdout + process.stderr
        assert process.returncode != 0, name
        assert "Refusing to start" in output, f"{name}: {output}"
        unnamed = [param.values[1] for param in at_once if param.values[1] not in output]
        assert unnamed == [], f"{name} does not name {unnamed}"


def test_manage_py_reports_a_bad_variable_without_a_traceback(
    run_in_project, production_environment
):
    environment = {**production_environment, "DEBUG": "maybe"}
    result = run_in_project("python", "manage.py", "check", **environment)

    assert result.returncode != 0
    assert "Configuration error: DEBUG='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("python", "manage.py", "check"),
        ("python", "-c", "import config.wsgi"),  # what gunicorn loads
        ("celery", "--app", "config", "worker"),  # the worker (and the scheduler: one app)
    ],
    ids=["manage.py", "web", "celery"],
)
def test_every_entry_point_takes_production_settings_when_none_are_named(run_in_project, command):
    """With DJANGO_SETTINGS_MODULE unset, a process gets production's settings, and
    with them the refusal to start on an empty environment."""
    result = run_in_project(*command)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stdout + result.stderr
