"""The local broker hands every message over whole, even to readers racing the writers.

Writers and readers are separate processes, as web, scheduler and workers are.
"""

import multiprocessing
import time
from pathlib import Path
from queue import Empty

from kombu import Connection

PACKAGE = "config"
WRITERS, READERS, MESSAGES_EACH = 4, 3, 250
DEADLINE_SECONDS = 60


def connect(folder: Path) -> Connection:
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    return Connection(
        "filesystem://localhost/",
        transport=f"{PACKAGE}.local_broker:Transport",
        transport_options=options,
    )


def write(folder: Path, first: int) -> None:
    with connect(folder) as connection:
        queue = connection.SimpleQueue("race")
        for number in range(first, first + MESSAGES_EACH):
            queue.put({"number": number})


def read(folder: Path, results: multiprocessing.Queue, deadline: float) -> None:
    """Report each message's number, or the error that reading it raised."""
    with connect(folder) as connection:
        queue = connection.SimpleQueue("race")
        while time.time() < deadline:
            try:
                message = queue.get(timeout=0.01)
            except Empty:
                continue
            except Exception as error:  # a half-written message fails to decode
                results.put(f"{type(error).__name__}: {error}")
                continue
            results.put(message.payload["number"])
            message.ack()


def test_no_message_is_lost_or_read_half_written(tmp_path):
    expected = WRITERS * MESSAGES_EACH
    results: multiprocessing.Queue = multiprocessing.Queue()
    deadline = time.time() + DEADLINE_SECONDS
    readers = [
        multiprocessing.Process(target=read, args=(tmp_path, results, deadline))
        for _ in range(READERS)
    ]
    writers = [
        multiprocessing.Process(target=write, args=(tmp_path, n * MESSAGES_EACH))
        for n in range(WRITERS)
    ]
    for process in readers + writers:
        process.start()

    received = []
    while len(received) < expected and time.time() < deadline:
        try:
            received.append(results.get(timeout=0.1))
        except Empty:
            continue
    for process in readers + writers:
        process.terminate()
        process.join()

    errors = [item for item in received if isinstance(item, str)]
    assert errors == []
    assert sorted(received) == list(range(expected))
