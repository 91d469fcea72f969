"""Settings every environment shares. Deploy-specific values come from the
environment, read next to the setting they feed; local.py, prod.py and test.py
add what differs.

Reference: https://docs.djangoproject.com/en/5.2/ref/settings/
"""

import datetime
from pathlib import Path

from config import answers
from config.schedule import beat_schedule
from groundwork import connections
from groundwork.addons import cache_from_env, email_from_env, media_storage_from_env
from groundwork.broker import BROKER_HEARTBEAT, broker_from_env, broker_transport_options
from groundwork.environment import env_bool, env_int, env_path, env_seconds, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS: list[str] = []
ROOT_URLCONF = "config.urls"
PROJECT_NAME = answers.PROJECT_NAME
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# I18N
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", answers.TIME_ZONE)
# The site speaks one language. With translations on, Django looks up the active
# language on every date, plural and URL it renders, through a lock that gevent
# makes slow: about a tenth of the home page's CPU (django-skel's benchmarks/web_load.py).
# Turn it on when you translate the site.
USE_I18N = False
USE_TZ = True

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "groundwork",
    "users",
    "core",  # demo: the home page and its pings (`make remove-demo` deletes it)
]

MIDDLEWARE = [
    # Under gunicorn, a request that waits past REQUEST_DEADLINE answers 503.
    "groundwork.deadline.RequestDeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A database that cannot serve now answers 503 with Retry-After, not 500.
    "groundwork.middleware.DatabaseUnavailableMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The site's own user model (users/models.py), from the first migration on.
AUTH_USER_MODEL = "users.User"
# Django's password check, refused to a client after LOGIN_FAILURES_ALLOWED failed
# logins in LOGIN_FAILURE_WINDOW seconds (groundwork/logins.py).
AUTHENTICATION_BACKENDS = ["groundwork.logins.ThrottledModelBackend"]
LOGIN_FAILURES_ALLOWED = env_int("LOGIN_FAILURES_ALLOWED", 10, minimum=1)
LOGIN_FAILURE_WINDOW = 15 * 60
# The admin's address: not admin/, where bots try passwords first. The default was
# drawn when the project was generated; set ADMIN_URL to move it (e.g. "staff/").
ADMIN_URL = env_path("ADMIN_URL", answers.ADMIN_URL)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# STATIC FILES (served by dj-static's Cling, see wsgi.py)
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
# A str, not a Path: dj-static joins it with string operations.
STATIC_ROOT = str(BASE_DIR / "staticfiles")

# UPLOADED FILES (FileField, ImageField): a bucket when one is named, else MEDIA_ROOT
# ------------------------------------------------------------------------------
MEDIA_URL = "/media/"
MEDIA_ROOT = str(BASE_DIR / "media")
STORAGES = {
    "default": media_storage_from_env(),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# CACHE: MemCachier or memcached through pylibmc, else local memory
# ------------------------------------------------------------------------------
CACHES = {"default": cache_from_env()}

# EMAIL: saved with the request, sent by a worker (groundwork/mail.py)
# ------------------------------------------------------------------------------
EMAIL_BACKEND = "groundwork.mail.OutboxBackend"
# EMAIL_URL, or the Mailgun add-on's variables; {} when neither is set.
EMAIL_SMTP = email_from_env()
# Seconds a worker waits on the mail service before it tries again later.
EMAIL_TIMEOUT = env_seconds("EMAIL_TIMEOUT", 10)
# Without a mail service, the worker prints each message (local.py), or it waits.
EMAIL_PRINT_WITHOUT_SMTP = False
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"noreply@{answers.DOMAIN_NAME}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# CELERY (read by config/celery.py: every CELERY_* setting)
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ------------------------------------------------------------------------------
CELERY_BROKER_URL, CELERY_BROKER_USE_SSL = broker_from_env()
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options()
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds publishing a task may spend reaching the broker before it gives up: a
# request waits no longer.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# How the worker notices a broker that stopped answering (groundwork/broker.py).
CELERY_BROKER_HEARTBEAT = BROKER_HEARTBEAT
# Tasks record their effects in the database; nobody waits on a result.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Heroku sends SIGTERM to every process of a dyno and SIGKILL 30 s later. With
# prefork, SIGTERM kills the pool's children mid-task; a pool of threads lives in
# one process, which shuts down warmly: it finishes the tasks it holds. A task
# still running at SIGKILL was never acknowledged, so the broker delivers it
# again (groundwork/broker.py says when).
# Tasks must therefore be safe to run twice (the shipped ones are), and should
# finish well within 30 s: split longer work into several tasks.
# (Threads cannot be killed, so Celery's time limits do not apply to them.)
# Prefork would also close the whole database pool after every task.
# Set CELERY_WORKER_POOL to change it: celery's `--pool prefork` cannot, since
# Celery takes prefork on its command line for "not given".
CELERY_WORKER_POOL = env_str("CELERY_WORKER_POOL", "threads")
# As many threads as the process's database pool has connections (connections.py).
CELERY_WORKER_CONCURRENCY = connections.WORKER_THREADS
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each worker takes one task at a time, so a long task never holds others back
# that an idle worker (or another worker dyno) could run now.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Let Django's LOGGING below format Celery's records too, on stdout.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The scheduler: exactly one sends, however many run (groundwork/scheduler.py). A
# second one asks for the lock every SCHEDULER_LOCK_RETRY seconds.
CELERY_BEAT_SCHEDULER = "groundwork.scheduler:LeaderScheduler"
# The heartbeat proves that the scheduler schedules and a worker works (/health/).
HEARTBEAT_PERIOD = datetime.timedelta(seconds=env_seconds("HEARTBEAT_SECONDS", 60))
SCHEDULER_LOCK_RETRY = min(10.0, HEARTBEAT_PERIOD.total_seconds() / 2)
# The release phase's migrations wait at most this long for a table's lock, then
# let the site's queries through as long again, at most this many times (groundwork/
# management/commands/release.py).
MIGRATION_LOCK_TIMEOUT = env_seconds("MIGRATION_LOCK_TIMEOUT", 5)
MIGRATION_ATTEMPTS = env_int("MIGRATION_ATTEMPTS", 10, minimum=1)
# Tasks retry a database that is away for at least this long (groundwork/tasks.py).
TASK_RETRY_FOR = datetime.timedelta(seconds=env_seconds("TASK_RETRY_FOR", 600))
TASK_RETRY_BACKOFF_MAX = env_seconds("TASK_RETRY_BACKOFF_MAX", 60)
# The sweeps: mail still waiting this long (its task never queued, lost, or out of
# retries) is sent again, as are the demo's unanswered pings, by jobs that run as often.
SWEEP_PERIOD = datetime.timedelta(seconds=env_seconds("SWEEP_SECONDS", 60))
CELERY_BEAT_SCHEDULE = beat_schedule(HEARTBEAT_PERIOD, SWEEP_PERIOD)

# The most pings one client may ask for in a minute; then 429 (groundwork/ratelimit.py).
PINGS_PER_MINUTE = env_int("PINGS_PER_MINUTE", 10, minimum=1)
# Where a request's client address is found: REMOTE_ADDR here, Heroku's router's
# header in production (prod.py).
CLIENT_ADDRESS_HEADER = ""

# Below Heroku's router timeout (30 s), above DATABASE_STATEMENT_TIMEOUT (20 s):
# a slow query is answered by its own timeout, a hung server by this one.
REQUEST_DEADLINE = env_seconds("REQUEST_DEADLINE", 25)

# HEALTH: /health/ runs its checks at most this often per web process (groundwork/health.py).
HEALTH_CHECK_INTERVAL = env_seconds("HEALTH_CHECK_INTERVAL", 10)

# Local only (.env turns it on): the worker restarts when the code changes
# (groundwork/reload.py), and gunicorn reads the same variable. Production refuses it.
CODE_RELOAD = env_bool("CODE_RELOAD", False)

# LOGGING: everything to stdout, where Heroku's log router collects it
# ------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers print only while DEBUG is on and mail admins
        # otherwise; drop them so that request errors, with their tracebacks,
        # reach stdout through the root logger in every environment.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
    },
}
