"""Development on your machine: no servers needed.

`honcho start` and `honcho run` load .env, which the template wrote with a fresh
SECRET_KEY and DJANGO_SETTINGS_MODULE pointing here.
"""

from groundwork.addons import database_from_env
from groundwork.environment import env_bool, env_list

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BROKER_URL

DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ("localhost", "127.0.0.1", "[::1]"))

DATABASES = {"default": database_from_env(f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

# Mail shows in the worker's output (`make run`), unless EMAIL_URL names a service.
EMAIL_PRINT_WITHOUT_SMTP = True

# With no broker URL set, processes pass messages through files in .broker/:
# web, scheduler and worker share the folder, no server needed.
if not CELERY_BROKER_URL:
    broker_folder = BASE_DIR / ".broker"
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT = "groundwork.local_broker:Transport"
    # Remote control (celery inspect) leaves files behind on this transport.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_folder / "messages"),
        "data_folder_out": str(broker_folder / "messages"),
        "control_folder": str(broker_folder / "control"),
    }
