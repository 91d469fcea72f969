"""A ping crosses the broker to a real Celery worker and comes back answered.

The other tests run tasks inline. Here the task takes the way it takes on Heroku:
serialised, queued on the broker, taken by a worker, run, acknowledged. The broker
is the one the test settings name: in CI, the broker service CELERY_BROKER_URL
points at; elsewhere, Celery's in-memory one.
"""

import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import WorkController, state
from django.test import Client

from config.celery import app

# Generous for a task that takes milliseconds: a busy CI machine should not fail it.
ANSWER_DEADLINE_SECONDS = 15
POLL_SECONDS = 0.05


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A worker in a thread of this process, taking tasks from the broker."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # The in-memory broker is polled, once a second unless told otherwise.
    options = {**app.conf.broker_transport_options, "polling_interval": POLL_SECONDS}
    monkeypatch.setitem(app.conf, "broker_transport_options", options)
    # Connections other tests left in the app's pool may lead to another broker
    # (test_health.py points it at a closed port): start from the configured one.
    app.close()
    # What a worker process does as it starts, and start_worker does not: find the
    # project's tasks (when this file runs alone, no other test imported them).
    app.loader.import_default_modules()
    # "solo": one task at a time, in the worker's own thread. No ping check: it
    # needs a result backend, and the project keeps no results.
    with start_worker(app, pool="solo", perform_ping_check=False) as running:
        yield
        stop_at_once(running)


def stop_at_once(worker: WorkController) -> None:
    """Ask the worker to stop, as start_worker does on leaving, and wake it up at
    once: start_worker waits until it has stopped."""
    state.should_terminate = 0
    if worker.hub is not None:
        # Redis, RabbitMQ: the event loop sleeps until its next timer (up to 10 s
        # with RabbitMQ) before it sees the request.
        worker.hub.call_soon(lambda: None)
    else:
        # The in-memory broker has no event loop: the worker waits for a message in
        # 2-second turns, and takes one more turn after it sees the request (4 s
        # measured). A message ends a turn: one for each, for a task built into
        # every Celery app that does nothing here.
        for _ in range(2):
            app.send_task("celery.accumulate")


def wait_for_answer(client: Client, status_url: str) -> dict:
    """The ping's status once a worker answered it; fail after the deadline."""
    deadline = time.monotonic() + ANSWER_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        status = client.get(status_url).json()
        if status["answered_at"]:
            return status
        time.sleep(0.1)
    pytest.fail(f"no worker answered {status_url} within {ANSWER_DEADLINE_SECONDS} s")


# Committed for real: the worker reads the ping through a connection of its own,
# and the view queues the task only once the ping is committed.
@pytest.mark.django_db(transaction=True)
def test_a_ping_is_answered_by_a_worker_through_the_broker(client, worker):
    response = client.post("/pings/")
    ping_id = int(response["Location"].rpartition("=")[2])

    status = wait_for_answer(client, f"/pings/{ping_id}/")

    assert " pid " in status["answered_by"]
