"""Local development: the Celery worker restarts when the project's code changes.

Celery has no reload of its own (gunicorn has: gunicorn.conf.py). With
CODE_RELOAD on, as .env sets it, the worker checks once a second whether a
Python file of the project that it has loaded changed, as gunicorn's and
Django's own reloaders do, and then sends itself SIGHUP. Celery then finishes
the tasks in hand, as at any warm shutdown, and starts again in the same
process, which honcho keeps running. Celery restarts on SIGHUP only on Linux
(and the like) with its output not a terminal, as under honcho; elsewhere (macOS,
a worker in a terminal of its own) the watcher does not start and says so:
restart the worker by hand there.
"""

import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHECK_EVERY_SECONDS = 1.0


def loaded_code(root: Path) -> dict[Path, float]:
    """The files of the modules loaded from under `root` (outside any
    virtualenv), with the time each was last modified."""
    found = {}
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if not name:
            continue
        path = Path(name)
        if path.is_relative_to(root) and not {".venv", "site-packages"} & set(path.parts):
            try:
                found[path] = path.stat().st_mtime
            except OSError:  # deleted: that is a change too, seen on the next look
                found[path] = 0.0
    return found


def watch(
    root: Path,
    seen: dict[Path, float],
    on_change: Callable[[], None],
    every: float,
    stop: threading.Event,
) -> None:
    """Call `on_change` once, when a loaded file under `root` changes from what
    `seen` (loaded_code's answer, taken before) says."""
    while not stop.wait(every):
        now = loaded_code(root)
        if any(now.get(path, 0.0) != modified for path, modified in seen.items()):
            on_change()
            return
        seen.update(now)  # modules loaded since the last look


def restart_worker() -> None:
    os.kill(os.getpid(), signal.SIGHUP)


def celery_restarts_on_sighup() -> bool:
    """Celery's own condition (celery/apps/worker.py) for installing the SIGHUP
    handler that restarts the worker; without it SIGHUP would end the worker."""
    return sys.platform != "darwin" and not sys.stdout.isatty()


def start_watching() -> threading.Event:
    """Watch in a daemon thread; set the returned event to stop watching."""
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch,
        args=(PROJECT_DIR, loaded_code(PROJECT_DIR), restart_worker, CHECK_EVERY_SECONDS, stop),
        name="code-reload",
        daemon=True,
    )
    watcher.start()
    return stop
