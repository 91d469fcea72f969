"""The local broker hands every message over whole: a reader never sees one half written.

kombu's own filesystem transport creates the message's file and then writes into
it, so a worker polling the folder in between can take an empty message. Rather
than race processes and hope to catch that moment, these tests look at the
folder at the moment of every write.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection

from groundwork import local_broker

PROJECT = Path(__file__).resolve().parent.parent


def connect(folder: Path) -> Connection:
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
    }
    return Connection(
        "filesystem://localhost/",
        transport="groundwork.local_broker:Transport",
        transport_options=options,
    )


class WatchedFile:
    """A file being written, that notes which messages a reader could see as each
    write happens."""

    def __init__(self, path: str, mode: str, folder: Path, seen: list) -> None:
        self._file = open(path, mode)  # noqa: SIM115 (closed in __exit__)
        self._folder, self._seen = folder, seen

    def __enter__(self) -> "WatchedFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def write(self, data: bytes) -> int:
        self._seen.append(sorted(path.name for path in self._folder.glob("*.msg")))
        return self._file.write(data)


@pytest.fixture
def writes_seen(tmp_path, monkeypatch) -> list[list[str]]:
    """For every write the local broker makes: the messages visible at that moment."""
    seen: list[list[str]] = []
    monkeypatch.setattr(
        local_broker,
        "open",
        lambda path, mode="r": WatchedFile(path, mode, tmp_path, seen),
        raising=False,
    )
    return seen


def test_no_message_is_visible_until_it_is_whole(tmp_path, writes_seen):
    with connect(tmp_path) as connection:
        queue = connection.SimpleQueue("jobs")
        queue.put({"number": 1})
        queue.put({"number": 2})

        received = []
        for _ in range(2):
            message = queue.get(timeout=1)
            received.append(message.payload["number"])
            message.ack()  # unacknowledged, it would be put back on close

    # While the second was written, only the first (whole) could be seen.
    assert [len(visible) for visible in writes_seen] == [0, 1]
    assert sorted(received) == [1, 2]


def test_a_fresh_checkout_needs_no_folders_made_by_hand(tmp_path):
    folder = tmp_path / ".broker" / "messages"  # nothing of it exists yet
    with connect(folder) as connection:
        # A queue of its own: kombu keeps the queues it declared for the whole
        # process, and would not bind "jobs" again in a new control folder.
        queue = connection.SimpleQueue("first-jobs")
        queue.put({"number": 1})
        message = queue.get(timeout=1)
        message.ack()
    assert message.payload == {"number": 1}


# A worker of its own: takes messages until the queue stays empty for a second,
# and writes down the number each carried.
CONSUMER = """
import sys
from queue import Empty
from tests.test_local_broker import connect
from pathlib import Path

with connect(Path(sys.argv[1])) as connection, open(sys.argv[2], "w") as taken:
    queue = connection.SimpleQueue("raced-jobs")
    while True:
        try:
            message = queue.get(timeout=1)
        except Empty:
            break
        taken.write(f"{message.payload['number']}\\n")
        message.ack()
"""
MESSAGES, CONSUMERS = 2000, 4


def test_workers_racing_for_messages_take_each_exactly_once_with_a_tmpfs_tmp(tmp_path):
    """Four workers on one folder, the system's temporary folder on another file
    system (tmpfs), as on Debian 13, Fedora and Arch: nothing lost, nothing twice."""
    other_file_system = Path("/dev/shm")  # noqa: S108 (only its file system is looked at)
    if not other_file_system.is_dir() or (
        other_file_system.stat().st_dev == tmp_path.stat().st_dev
    ):
        pytest.skip("needs /dev/shm on a file system of its own (tmpfs)")
    folder = tmp_path / "messages"
    with connect(folder) as connection:
        # A queue of its own (see test_a_fresh_checkout_needs_no_folders_made_by_hand).
        queue = connection.SimpleQueue("raced-jobs")
        for number in range(MESSAGES):
            queue.put({"number": number})

    environment = {**os.environ, "TMPDIR": str(other_file_system), "PYTHONPATH": str(PROJECT)}
    outputs = [tmp_path / f"taken-{n}" for n in range(CONSUMERS)]
    consumers = [
        subprocess.Popen(
            [sys.executable, "-c", CONSUMER, str(folder), str(output)], env=environment
        )
        for output in outputs
    ]
    for consumer in consumers:
        assert consumer.wait(timeout=120) == 0

    taken = [int(line) for output in outputs for line in output.read_text().split()]
    assert len(taken) == MESSAGES, f"{len(taken)} taken, {len(set(taken))} of them different"
    assert sorted(taken) == list(range(MESSAGES))
    assert all(output.read_text() for output in outputs), "a worker took nothing"
