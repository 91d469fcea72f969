"""The Celery app, run by the scheduler and worker processes of the Procfile."""

import logging

from celery import Celery, signals
from django.conf import settings

from groundwork import reload
from groundwork.startup import UnsafeEnvironment, refuse_to_start_if_misconfigured

logger = logging.getLogger(__name__)

app = Celery("config")
# Every Django setting named CELERY_* configures Celery (see settings/base.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_insecure_start(**_: object) -> None:
    try:
        refuse_to_start_if_misconfigured()
    except UnsafeEnvironment as refusal:
        # Celery logs and ignores exceptions from signal handlers; it does stop on exit.
        raise SystemExit(str(refusal)) from None


@signals.worker_ready.connect
def restart_on_code_change(**_: object) -> None:
    if not settings.CODE_RELOAD:
        return
    if reload.celery_restarts_on_sighup():
        reload.start_watching()
    else:
        logger.warning("CODE_RELOAD: this worker cannot restart itself here; restart it by hand")
