import importlib
import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_PACKAGE = "config.settings"
SETTINGS_MODULES = ("base", "local", "prod", "test")
# The platform's modules that read the environment as the settings load.
SETTINGS_HELPERS = ("environment", "addons", "connections", "broker")
# Each package, and the (package, module) pairs of it a settings load imports afresh.
RELOADED = {
    SETTINGS_PACKAGE: {(SETTINGS_PACKAGE, module) for module in SETTINGS_MODULES},
    "groundwork": {("groundwork", module) for module in SETTINGS_HELPERS},
}

# Variables the settings read; cleared so that each test states what it sets.
SETTINGS_VARIABLES = (
    "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL",
    "DATABASE_POOL_SIZE", "DATABASE_POOL_TIMEOUT", "DATABASE_CONNECTION_LIMIT", "WEB_CONCURRENCY",
    "CACHE_CALL_TIMEOUT", "CACHE_RETRY_AFTER", "MEMCACHIER_SERVERS", "MEMCACHIER_USERNAME",
    "MEMCACHIER_PASSWORD", "MEMCACHE_SERVERS", "MEMCACHE_USERNAME", "MEMCACHE_PASSWORD",
    "CELERY_BROKER_URL", "REDIS_URL", "CLOUDAMQP_URL", "RABBITMQ_URL", "TIME_ZONE",
    "LOG_LEVEL", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "CELERY_WORKER_POOL", "CELERY_WORKER_CONCURRENCY", "SASL_PATH",
    "SENTRY_DSN", "CODE_RELOAD", "ADMIN_URL", "LOGIN_FAILURES_ALLOWED", "EMAIL_URL",
    "MAILGUN_SMTP_SERVER", "MAILGUN_SMTP_PORT", "MAILGUN_SMTP_LOGIN", "MAILGUN_SMTP_PASSWORD",
    "EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL", "AWS_STORAGE_BUCKET_NAME", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME", "AWS_S3_ENDPOINT_URL", "BUCKETEER_BUCKET_NAME",
    "BUCKETEER_AWS_ACCESS_KEY_ID", "BUCKETEER_AWS_SECRET_ACCESS_KEY", "BUCKETEER_AWS_REGION",
)  # fmt: skip

# What Heroku hands a production dyno, with values that reach no real server.
PRODUCTION_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": f"{SETTINGS_PACKAGE}.prod",
    "SECRET_KEY": "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "www.example.com",
    "DATABASE_URL": "postgres://user:password@127.0.0.1:5432/site",
    "MEMCACHIER_SERVERS": "127.0.0.1:11211",
    "MEMCACHIER_USERNAME": "user",
    "MEMCACHIER_PASSWORD": "password",
    "CELERY_BROKER_URL": "memory://",
    "EMAIL_URL": "smtp://postmaster%40mg.example.com:password@127.0.0.1:587",
}


def pytest_report_header() -> list[str]:
    """Name the database and broker the tests run on, at the top of the output:
    a CI log then shows that DATABASE_URL and CELERY_BROKER_URL reached them."""
    database = settings.DATABASES["default"]
    broker = urlsplit(settings.CELERY_BROKER_URL)
    return [
        f"database: {connection.vendor} {server_address(database['HOST'], database['PORT'])}",
        f"broker: {broker.scheme} {server_address(broker.hostname, broker.port)}",
    ]


def server_address(host: str | None, port: int | str | None) -> str:
    """ "at host:port" for a server, "in process" for SQLite's file or Celery's memory."""
    return f"at {host}:{port}" if host else "in process"


@pytest.fixture
def production_environment() -> dict[str, str]:
    """Heroku's config vars. Without pylibmc (`make install` leaves it out where it
    cannot be compiled; Heroku's build always has it), without MemCachier's too:
    production then caches in memory, and everything else is still tested."""
    if importlib.util.find_spec("pylibmc") is None:
        return {k: v for k, v in PRODUCTION_ENVIRONMENT.items() if not k.startswith("MEMCACHIER")}
    return dict(PRODUCTION_ENVIRONMENT)


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def load_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Import a settings module afresh under the given environment variables."""

    def load(name: str, **environment: str) -> ModuleType:
        """`name`: a module of config.settings (prod, local, ...) or a settings
        helper of the platform (connections, addons)."""
        for variable in SETTINGS_VARIABLES:
            monkeypatch.delenv(variable, raising=False)
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        for package_name, modules in RELOADED.items():
            package = importlib.import_module(package_name)
            for module in [m for m in sys.modules if m.rpartition(".")[::2] in modules]:
                monkeypatch.delitem(sys.modules, module)
                # `from . import connections` reads the package's attribute, if any.
                monkeypatch.delattr(package, module.rpartition(".")[2], raising=False)
        helper = name in SETTINGS_HELPERS
        return importlib.import_module(f"{'groundwork' if helper else SETTINGS_PACKAGE}.{name}")

    return load


@pytest.fixture
def run_in_project() -> Callable[..., subprocess.CompletedProcess]:
    """Run a command in a new process of the project, with only the given variables
    on top of PATH: settings load once per process, as on a dyno."""

    def run(*command: str, **environment: str) -> subprocess.CompletedProcess:
        clean = {"PATH": os.environ["PATH"], **environment}
        return subprocess.run(
            command, cwd=PROJECT_DIR, env=clean, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip

    return run


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Each test starts with an empty cache: counts (the rate limit's) and cached
    values of one test never reach the next."""
    from django.core.cache import cache

    cache.clear()
