"""With CODE_RELOAD on, the Celery worker restarts when the project's code changes
(groundwork/reload.py); here on a module of the test's own, checked every 10 ms."""

import importlib
import os
import sys
import threading

import pytest

from groundwork import reload


@pytest.fixture
def loaded_module(tmp_path, monkeypatch):
    """A module imported from a folder that stands for the project."""
    source = tmp_path / "reload_probe.py"
    source.write_text("ANSWER = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("reload_probe")
    sys.modules.pop("reload_probe")


def test_a_change_to_a_loaded_module_restarts_the_worker_once(tmp_path, loaded_module):
    changed, stop = threading.Event(), threading.Event()
    seen = reload.loaded_code(tmp_path)
    watcher = threading.Thread(target=reload.watch, args=(tmp_path, seen, changed.set, 0.01, stop))
    watcher.start()

    source = tmp_path / "reload_probe.py"
    source.write_text("ANSWER = 2\n")
    later = source.stat().st_mtime + 1  # a file system may keep whole seconds only
    os.utime(source, (later, later))

    try:
        assert changed.wait(timeout=5), "the change went unnoticed"
        watcher.join(timeout=5)
        assert not watcher.is_alive(), "the watcher goes on after asking for a restart"
    finally:
        stop.set()


def test_only_the_projects_own_code_is_watched(tmp_path, loaded_module, monkeypatch):
    """Not the virtualenv a project keeps in .venv/: thousands of files that only
    pip changes."""
    installed = tmp_path / ".venv" / "lib" / "site-packages"
    installed.mkdir(parents=True)
    (installed / "installed_probe.py").write_text("")
    monkeypatch.syspath_prepend(str(installed))
    importlib.import_module("installed_probe")
    try:
        assert list(reload.loaded_code(tmp_path)) == [tmp_path / "reload_probe.py"]
    finally:
        sys.modules.pop("installed_probe")


@pytest.mark.parametrize(("code_reload", "can_restart", "watching"), [
    (True, True, True), (True, False, False), (False, True, False),
])  # fmt: skip
def test_a_ready_worker_watches_only_with_code_reload_where_celery_can_restart_it(
    settings, monkeypatch, caplog, code_reload, can_restart, watching
):
    from celery import signals

    from config import celery

    started = []
    monkeypatch.setattr(reload, "start_watching", lambda: started.append(True))
    monkeypatch.setattr(reload, "celery_restarts_on_sighup", lambda: can_restart)
    settings.CODE_RELOAD = code_reload

    signals.worker_ready.send(sender=None)

    assert bool(started) is watching
    assert ("cannot restart itself" in caplog.text) is (code_reload and not can_restart)
    assert celery.restart_on_code_change in [ref() for _, ref in signals.worker_ready.receivers]
